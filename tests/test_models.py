"""Model registry: every registered model builds, runs forward and backward, keeps the input size;
the skip connections that define FCN-16s/8s, SegNet and U-Net; weights and bad input."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

import torch.nn.functional as F  # noqa: E402

from segbench.errors import InputError, UnknownNameError  # noqa: E402
from segbench.models import build_model, get_model_spec, load_weights, model_names  # noqa: E402

NUM_CLASSES = 5  # panoptic: 2 stuff + 3 things


def _targets(n, h, w, panoptic=False):
    out = []
    for i in range(n):
        masks = torch.zeros(2, h, w, dtype=torch.uint8)
        masks[0, 8:30, 10:28] = 1
        masks[1, 36:60, 30:50] = 1
        t = {"boxes": torch.tensor([[10, 8, 28, 30], [30, 36, 50, 60]], dtype=torch.float32),
             "labels": torch.tensor([1, 3]), "masks": masks}
        if panoptic:
            sem = torch.full((h, w), 1, dtype=torch.long)
            sem[masks.bool().any(0)] = 0
            sem[:, :4] = 255
            t["sem"] = sem
        out.append(t)
    return out


@pytest.mark.parametrize("name", model_names())
def test_every_model_forward_backward_keeps_input_size(name):
    torch.manual_seed(0)
    spec = get_model_spec(name)
    x = torch.rand(2, 3, 64, 64)
    if spec.task == "semantic":
        model = build_model(name, NUM_CLASSES, "lite").train()
        y = model(x)
        assert y.shape == (2, NUM_CLASSES, 64, 64)
        F.cross_entropy(y, torch.randint(0, NUM_CLASSES, (2, 64, 64))).backward()
    else:
        kw = {"min_size": 64, "max_size": 64}
        if spec.task == "panoptic":
            kw["num_things"] = 3
            model = build_model(name, NUM_CLASSES, "lite", **kw).train()
        else:
            model = build_model(name, 3, "lite", **kw).train()
        losses = model(list(x), _targets(2, 64, 64, spec.task == "panoptic"))
        assert all(torch.isfinite(v) for v in losses.values())
        if spec.task == "panoptic":
            assert "loss_sem_seg" in losses
        sum(losses.values()).backward()
        model.eval()
        with torch.no_grad():
            out = model(list(x))
        inst = out[0]["instances"] if spec.task == "panoptic" else out[0]
        assert inst["masks"].shape[1:] == (1, 64, 64)
        if spec.task == "panoptic":
            assert out[0]["sem_seg"].shape == (NUM_CLASSES - 3 + 1, 64, 64)
    grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)


@pytest.mark.parametrize("name", ["fcn8s", "unet", "segnet", "deeplabv1", "pspnet"])
def test_odd_input_size_is_restored(name):
    model = build_model(name, 3, "lite").eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 50, 70)).shape == (1, 3, 50, 70)


def test_fcn_skip_fusion_shapes_and_sums():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 64)
    m32 = build_model("fcn32s", 4, record=True).eval()
    m16 = build_model("fcn16s", 4, record=True).eval()
    m8 = build_model("fcn8s", 4, record=True).eval()
    assert not hasattr(m32, "score_pool4") and not hasattr(m16, "score_pool3")
    with torch.no_grad():
        out32, out16, out8 = m32(x), m16(x), m8(x)
    r32, r16, r8 = m32.intermediates, m16.intermediates, m8.intermediates
    assert r32["score_fr"].shape == (2, 4, 2, 2)  # stride 32
    assert r16["upscore2"].shape == r16["score_pool4"].shape == (2, 4, 4, 4)  # stride 16
    assert r8["upscore_pool4"].shape == r8["score_pool3"].shape == (2, 4, 8, 8)  # stride 8
    torch.testing.assert_close(r16["fuse_pool4"], r16["upscore2"] + r16["score_pool4"])
    torch.testing.assert_close(r8["fuse_pool3"], r8["upscore_pool4"] + r8["score_pool3"])
    torch.testing.assert_close(out32, F.interpolate(r32["score_fr"], scale_factor=32, mode="bilinear"))
    torch.testing.assert_close(out16, F.interpolate(r16["fuse_pool4"], scale_factor=16, mode="bilinear"))
    torch.testing.assert_close(out8, F.interpolate(r8["fuse_pool3"], scale_factor=8, mode="bilinear"))
    # the pool3 skip really feeds the output: changing its scorer changes the prediction
    with torch.no_grad():
        m8.score_pool3.weight.normal_()
        assert not torch.allclose(m8(x), out8)


def test_fcn_upsampling_is_initialised_bilinear():
    m = build_model("fcn16s", 3)
    up = m.upscore2
    x = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        y = up(x)
    assert y.shape == (1, 3, 8, 8)
    # interior values equal bilinear interpolation (align_corners=False)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(y[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1])


def test_segnet_unpools_with_pooling_indices():
    torch.manual_seed(0)
    m = build_model("segnet", 3, record=True).eval()
    with torch.no_grad():
        m(torch.rand(2, 3, 64, 64))
    r = m.intermediates
    for i in range(1, 6):
        up = r[f"unpool{i}"]
        idx = r["indices"][i - 1]
        assert up.shape[-2:] == (idx.shape[-2] * 2, idx.shape[-1] * 2)
        # sparse: at most one non-zero per 2x2 window, exactly at the stored argmax position
        nz = (up != 0).float()
        assert F.avg_pool2d(nz, 2).mul(4).max() <= 1
        flat = up.flatten(2)
        gathered = torch.gather(flat, 2, idx.flatten(2))
        mask = torch.zeros_like(flat).scatter_(2, idx.flatten(2), 1.0)
        assert float((flat * (1 - mask)).abs().sum()) == 0.0
        assert gathered.shape == idx.flatten(2).shape


def test_unet_concatenates_encoder_features():
    m = build_model("unet", 3, "lite", record=True).eval()  # base 16, depth 4
    with torch.no_grad():
        m(torch.rand(2, 3, 64, 64))
    r = m.intermediates
    assert r["concat1"].shape == (2, 256, 8, 8)
    assert r["concat2"].shape == (2, 128, 16, 16)
    assert r["concat3"].shape == (2, 64, 32, 32)
    assert r["concat4"].shape == (2, 32, 64, 64)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        m(x)
        torch.testing.assert_close(m.intermediates["concat4"][:, :16], m.inc(x))


@pytest.mark.parametrize("name", ["pspnet", "deeplabv3", "deeplabv3plus"])
def test_batch_size_one_with_bn_pooling_is_a_clear_error(name):
    model = build_model(name, 3, "lite").train()
    with pytest.raises(InputError, match="batch size 1"):
        model(torch.rand(1, 3, 64, 64))
    model.eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64)).shape == (1, 3, 64, 64)  # inference is fine


def test_unknown_model_lists_close_matches():
    with pytest.raises(UnknownNameError, match="did you mean 'fcn8s'"):
        get_model_spec("fcn9s")


def test_weights_roundtrip_and_wrong_architecture(tmp_path):
    torch.manual_seed(0)
    a = build_model("unet", 3)
    path = tmp_path / "unet.pth"
    torch.save(a.state_dict(), path)
    b = build_model("unet", 3)
    load_weights(b, path, "unet")
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(v, w), k
    with pytest.raises(InputError, match="does not fit model 'fcn8s'"):
        load_weights(build_model("fcn8s", 3), path, "fcn8s")
    ckpt = tmp_path / "ckpt.pt"
    torch.save({"model_name": "unet", "model_state": a.state_dict()}, ckpt)
    with pytest.raises(InputError, match="checkpoint is for model 'unet', not 'segnet'"):
        load_weights(build_model("segnet", 3), ckpt, "segnet")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(InputError, match="not a torch weight file"):
        load_weights(b, bad, "unet")


def test_weights_with_other_class_count_skip_only_the_head(tmp_path):
    a = build_model("unet", 7)
    path = tmp_path / "unet7.pth"
    torch.save(a.state_dict(), path)
    b = build_model("unet", 3)
    skipped = load_weights(b, path, "unet", get_model_spec("unet").head_keys)
    assert skipped == ["outc.weight", "outc.bias"]
    torch.testing.assert_close(b.inc[0][0].weight, a.inc[0][0].weight)


def test_torchvision_weight_file_layout_loads(tmp_path):
    from torchvision.models import segmentation

    tv = segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3)
    path = tmp_path / "lraspp.pth"
    torch.save(tv.state_dict(), path)  # torchvision's own key names, no wrapper prefix
    m = build_model("lraspp_mobilenet_v3_large", 3)
    load_weights(m, path, "lraspp_mobilenet_v3_large")
    torch.testing.assert_close(m.net.backbone["0"][0].weight, tv.backbone["0"][0].weight)


def test_panoptic_merge_heuristic():
    from segbench.models.panoptic_fpn import merge_panoptic

    h = w = 20
    masks = torch.zeros(3, 1, h, w)
    masks[0, 0, 0:10, 0:10] = 0.9  # score 0.9
    masks[1, 0, 5:15, 5:15] = 0.9  # score 0.8, overlaps a quarter -> kept with free pixels only
    masks[2, 0, 0:10, 0:10] = 0.9  # score 0.7, fully covered -> dropped
    inst = {"masks": masks, "labels": torch.tensor([1, 2, 1]), "scores": torch.tensor([0.9, 0.8, 0.7])}
    sem = torch.zeros(2, h, w)
    sem[1] = 1.0  # everything "stuff 1" by the semantic head
    seg, info = merge_panoptic(inst, sem, thing_ids=[5, 6], stuff_ids=[0], stuff_area=1)
    assert [s["category_id"] for s in info] == [5, 6, 0]
    assert info[0]["area"] == 100 and info[1]["area"] == 100 - 25
    assert info[2]["area"] == h * w - 175
    assert (seg > 0).all()


@pytest.mark.parametrize("name, millions", [("fcn8s", 134.4), ("segnet", 29.5), ("unet", 31.0), ("deeplabv1", 20.5)])
def test_full_presets_have_the_papers_size(name, millions):
    from segbench.models import count_parameters

    # FCN-8s 134M (FCN paper Table 1 lists 134M for FCN-VGG16), SegNet 29.5M, U-Net 31M,
    # DeepLab-LargeFOV 20.5M, with 21 (PASCAL VOC) classes
    n = count_parameters(build_model(name, 21, "full"))
    assert n / 1e6 == pytest.approx(millions, abs=0.1)
