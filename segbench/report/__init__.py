"""Result records -> tables (pandas) -> rich / Markdown / LaTeX / CSV / JSON; plots."""
