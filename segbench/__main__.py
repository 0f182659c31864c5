from segbench.cli.main import main

main()
