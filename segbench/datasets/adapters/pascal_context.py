"""``pascal-context`` (59 classes), ``pascal-context-60`` and ``pascal-context-459``.

Layout (``--root`` = ``VOCdevkit/VOC2010`` or a folder holding it), as mmseg's converter
(``tools/dataset_converters/pascal_context.py``) and the original release leave it::

    JPEGImages/{id}.jpg
    SegmentationClassContext/{id}.png          0 = background, 1..59 (the 59 frequent classes)
    ImageSets/SegmentationContext/{train,val}.txt   (4,996 / 5,104 images)
    trainval/{id}.mat                          original release: LabelMap, 0 = unlabeled, 1..459

Background handling (the variants differ only here):

- ``pascal-context`` (59): background (0) is not evaluated (mmseg ``reduce_zero_label``:
  0 -> 255, x -> x - 1); the number papers call "PASCAL-Context 59";
- ``pascal-context-60``: background is class 0 and counts (mmseg ``PascalContextDataset``);
- ``pascal-context-459``: the full label set from ``trainval/{id}.mat`` (``LabelMap``, scipy) or
  ``SegmentationClassContext459/{id}.png`` (16-bit), 0 = unlabeled (not evaluated), ids 1..459
  -> evaluation ids 0..458, ignore 65535.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.datasets.adapters.ade20k import ADE_PALETTE
from segbench.datasets.adapters.voc import resolve_voc_root
from segbench.datasets.base import Sample, register_dataset
from segbench.datasets.labels import Label, LabelTable
from segbench.datasets.layout import empty_split, read_split_list, require_ground_truth
from segbench.datasets.readers import read_label_png
from segbench.datasets.table_adapter import TableDataset
from segbench.errors import FormatError, InputError

PC59 = [
    "aeroplane", "bag", "bed", "bedclothes", "bench", "bicycle", "bird", "boat", "book", "bottle", "building",
    "bus", "cabinet", "car", "cat", "ceiling", "chair", "cloth", "computer", "cow", "cup", "curtain", "dog",
    "door", "fence", "floor", "flower", "food", "grass", "ground", "horse", "keyboard", "light", "motorbike",
    "mountain", "mouse", "person", "plate", "platform", "pottedplant", "road", "rock", "sheep", "shelves",
    "sidewalk", "sign", "sky", "snow", "sofa", "table", "track", "train", "tree", "truck", "tvmonitor", "wall",
    "water", "window", "wood",
]

PC_PALETTE = ADE_PALETTE[:60]  # mmseg's Pascal Context palette is the first 60 ADE20K colours

PC459 = (
    "accordion aeroplane airconditioner antenna artillery ashtray atrium babycarriage bag ball balloon "
    "bambooweaving barrel baseballbat basket basketballbackboard bathtub bed bedclothes beer bell bench bicycle "
    "binoculars bird birdcage birdfeeder birdnest blackboard board boat bone book bottle bottleopener bowl box "
    "bracelet brick bridge broom brush bucket building bus cabinet cabinetdoor cage cake calculator calendar "
    "camel camera cameralens can candle candleholder cap car card cart case casetterecorder cashregister cat cd "
    "cdplayer ceiling cellphone cello chain chair chessboard chicken chopstick clip clippers clock closet cloth "
    "clothestree coffee coffeemachine comb computer concrete cone container controlbooth controller cooker "
    "copyingmachine coral cork corkscrew counter court cow crabstick crane crate cross crutch cup curtain "
    "cushion cuttingboard dais disc disccase dishwasher dock dog dolphin door drainer dray drinkdispenser "
    "drinkingmachine drop drug drum drumkit duck dumbbell earphone earrings egg electricfan electriciron "
    "electricpot electricsaw electronickeyboard engine envelope equipment escalator exhibitionbooth "
    "extinguisher eyeglass fan faucet faxmachine fence ferriswheel fireextinguisher firehydrant fireplace fish "
    "fishtank fishbowl fishingnet fishingpole flag flagstaff flame flashlight floor flower fly foam food "
    "footbridge forceps fork forklift fountain fox frame fridge frog fruit funnel furnace gamecontroller "
    "gamemachine gascylinder gashood gasstove giftbox glass glassmarble globe glove goal grandstand grass "
    "gravestone ground guardrail guitar gun hammer handcart handle handrail hanger harddiskdrive hat hay "
    "headphone heater helicopter helmet holder hook horse horse-drawncarriage hot-airballoon hydrovalve ice "
    "inflatorpump ipod iron ironingboard jar kart kettle key keyboard kitchenrange kite knife knifeblock ladder "
    "laddertruck ladle laptop leaves lid lifebuoy light lightbulb lighter line lion lobster lock machine "
    "mailbox mannequin map mask mat matchbook mattress menu metal meterbox microphone microwave mirror missile "
    "model money monkey mop motorbike mountain mouse mousepad musicalinstrument napkin net newspaper oar "
    "ornament outlet oven oxygenbottle pack pan paper paperbox papercutter parachute parasol parterre patio "
    "pelage pen pencontainer pencil person photo piano picture pig pillar pillow pipe pitcher plant plastic "
    "plate platform player playground pliers plume poker pokerchip pole pooltable postcard poster pot "
    "pottedplant printer projector pumpkin rabbit racket radiator radio rail rake ramp rangehood receiver "
    "recorder recreationalmachines remotecontrol road robot rock rocket rockinghorse rope rug ruler runway "
    "saddle sand saw scale scanner scissors scoop screen screwdriver sculpture scythe sewer sewingmachine shed "
    "sheep shell shelves shoe shoppingcart shovel sidecar sidewalk sign signallight sink skateboard ski sky "
    "sled slippers smoke snail snake snow snowmobiles sofa spanner spatula speaker speedbump spicecontainer "
    "spoon sprayer squirrel stage stair stapler stick stickynote stone stool stove straw stretcher sun "
    "sunglass sunshade surveillancecamera swan sweeper swimring swimmingpool swing switch table tableware tank "
    "tap tape tarp telephone telephonebooth tent tire toaster toilet tong tool toothbrush towel toy toycar "
    "track train trampoline trashbin tray tree tricycle tripod trophy truck tube turtle tvmonitor tweezers "
    "typewriter umbrella unknown vacuumcleaner vendingmachine videocamera videogameconsole videoplayer "
    "videotape violin wakeboard wall wallet wardrobe washingmachine watch water waterdispenser waterpipe "
    "waterskateboard watermelon whale wharf wheel wheelchair window windowblinds wineglass wire wood wool"
).split()


def pascal_context_table(variant: int) -> LabelTable:
    if variant == 59:
        rows = [Label("background", 0, None, ignore_in_eval=True, color=PC_PALETTE[0])]
        rows += [Label(n, k + 1, k, color=PC_PALETTE[k + 1]) for k, n in enumerate(PC59)]
        rows.append(Label("void", 255, None, ignore_in_eval=True, color=(224, 224, 192)))
        return LabelTable(rows, name="pascal-context")
    if variant == 60:
        rows = [Label(n, k, k, color=PC_PALETTE[k]) for k, n in enumerate(["background"] + PC59)]
        rows.append(Label("void", 255, None, ignore_in_eval=True, color=(224, 224, 192)))
        return LabelTable(rows, name="pascal-context-60")
    from segbench.datasets.labels import default_palette

    colors = default_palette(460)
    rows = [Label("unlabeled", 0, None, ignore_in_eval=True, color=(0, 0, 0))]
    rows += [Label(n, k + 1, k, color=colors[k + 1]) for k, n in enumerate(PC459)]
    return LabelTable(rows, name="pascal-context-459")


class _PascalContextBase(TableDataset):
    tasks = ("semantic",)
    splits = ("train", "val")
    ignore_index = 255
    variant = 59

    def build_table(self) -> LabelTable:
        return pascal_context_table(self.variant)

    def gt_path(self, voc: Path, image_id: str) -> Path:
        return voc / "SegmentationClassContext" / f"{image_id}.png"

    def samples(self, root, split: str) -> list[Sample]:
        self.check_split(split)
        voc = resolve_voc_root(root, "VOC2010")
        lst = voc / "ImageSets" / "SegmentationContext" / f"{split}.txt"
        ids = read_split_list(lst, f"PASCAL-Context {split} split list")
        if not ids:
            raise empty_split(self.name, split, lst)
        out = [Sample(name=i, image=voc / "JPEGImages" / f"{i}.jpg", semantic=self.gt_path(voc, i), extra={"key": i})
               for i in ids]
        return require_ground_truth(out, split)

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        return read_label_png(sample.semantic)


@register_dataset("pascal-context")
class PascalContext59(_PascalContextBase):
    variant = 59
    description = "PASCAL-Context 59 classes; background (0) not evaluated (reduce-zero-label)"


@register_dataset("pascal-context-60")
class PascalContext60(_PascalContextBase):
    variant = 60
    description = "PASCAL-Context 59 classes + background evaluated as class 0"


@register_dataset("pascal-context-459")
class PascalContext459(_PascalContextBase):
    variant = 459
    ignore_index = 65535
    description = "PASCAL-Context full 459 classes (trainval/*.mat LabelMap), 0 = unlabeled"

    def gt_path(self, voc: Path, image_id: str) -> Path:
        png = voc / "SegmentationClassContext459" / f"{image_id}.png"
        return png if png.is_file() else voc / "trainval" / f"{image_id}.mat"

    def read_raw_semantic(self, sample: Sample) -> np.ndarray:
        if sample.semantic.suffix != ".mat":
            return read_label_png(sample.semantic)
        try:
            from scipy.io import loadmat
        except ImportError:
            raise InputError(f"{sample.semantic}: reading PASCAL-Context .mat files needs scipy") from None
        try:
            return np.asarray(loadmat(str(sample.semantic))["LabelMap"]).astype(np.uint16)
        except (KeyError, ValueError, OSError) as exc:
            raise FormatError(f"{sample.semantic}: expected a PASCAL-Context .mat with LabelMap ({exc})") from None
