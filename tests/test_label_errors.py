"""Finding the label errors of a user's own image folder (tools/detect_noisy_labels.py
--data-root): reading the folder and its bad inputs, the network / epochs / copies chosen,
pretrained backbones from a local file, the report, and the whole path on a tiny folder."""
import csv
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmnoisy.datasets.image_folder import scan_image_folder, write_list_file
from mmnoisy.detection.report import (flag_threshold, suspects_table, thumbnail,
                                      write_report_html)
from tests.conftest import ROOT, run_tool

sys.path.insert(0, osp.join(ROOT, 'tools'))
import detect_noisy_labels as tool  # noqa: E402


def image(path, size=(8, 8), value=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full(size[::-1], value, np.uint8)).save(path)


def folder(root, spec):
    """spec: {class: number of images}; images are 8x8 grey with the class index as value."""
    for k, (name, n) in enumerate(spec.items()):
        for i in range(n):
            image(osp.join(root, name, f'{i:03d}.png'), value=10 * k + i)
    return str(root)


# ------------------------------------------------------------------------------ reading
def test_class_folders_give_sorted_files_labels_and_classes(tmp_path):
    root = folder(tmp_path / 'd', {'cat': 2, 'dog': 3})
    os.makedirs(tmp_path / 'd' / 'empty')
    image(str(tmp_path / 'd' / 'dog' / 'sub' / 'x.png'))        # deeper: still a dog
    (tmp_path / 'd' / 'dog' / 'notes.txt').write_text('not an image')
    scan = scan_image_folder(root)
    assert scan.classes == ('cat', 'dog')
    assert scan.filenames == ['cat/000.png', 'cat/001.png', 'dog/000.png', 'dog/001.png',
                              'dog/002.png', 'dog/sub/x.png']
    assert scan.labels.tolist() == [0, 0, 1, 1, 1, 1]
    assert scan.empty_classes == ['empty'] and scan.skipped == []
    assert scan.sizes.tolist() == [[8, 8]] * 6


def test_unreadable_images_are_skipped_and_listed(tmp_path):
    root = folder(tmp_path / 'd', {'a': 2, 'b': 2})
    (tmp_path / 'd' / 'b' / 'broken.png').write_bytes(b'\x89PNG not really')
    seen = []
    scan = scan_image_folder(root, progress=lambda done, total: seen.append((done, total)))
    assert 'b/broken.png' not in scan.filenames and len(scan) == 4
    ((name, reason), ) = scan.skipped
    assert name == 'b/broken.png' and reason
    assert seen[-1] == (5, 5)


def test_annotation_files_list_csv_names_and_indices(tmp_path):
    root = folder(tmp_path / 'd', {'cat': 2, 'dog': 2})
    (tmp_path / 'list.txt').write_text('dog/000.png 1\ncat/001.png 0\n\ndog/001.png 1\n')
    scan = scan_image_folder(root, str(tmp_path / 'list.txt'))
    # the file's order; numeric labels whose files lie in their class's folder take its name
    assert scan.filenames == ['dog/000.png', 'cat/001.png', 'dog/001.png']
    assert scan.labels.tolist() == [1, 0, 1] and scan.classes == ('cat', 'dog')
    (tmp_path / 'names.csv').write_text('filename,label\ncat/000.png,dog\ndog/000.png,cat\n'
                                        'dog/001.png,dog\n')
    scan = scan_image_folder(root, str(tmp_path / 'names.csv'))
    assert scan.classes == ('cat', 'dog') and scan.labels.tolist() == [1, 0, 1]
    flat = tmp_path / 'flat'
    for i in range(3):
        image(str(flat / f'{i}.png'))
    (tmp_path / 'idx.csv').write_text('0.png,2\n1.png,0\n2.png,2\n')
    scan = scan_image_folder(str(flat), str(tmp_path / 'idx.csv'))
    assert scan.classes == ('0', '1', '2') and scan.labels.tolist() == [2, 0, 2]


@pytest.mark.parametrize('setup, error, message', [
    (lambda t: None, FileNotFoundError, 'image folder not found'),
    (lambda t: os.makedirs(t / 'd'), ValueError, 'no images in class sub-folders of'),
    (lambda t: image(str(t / 'd' / 'loose.png')), ValueError,
     r'1 images lie directly in it: put each class in its own sub-folder, or give --ann-file'),
    (lambda t: folder(t / 'd', {'only': 3}), ValueError,
     "images of one class only \\('only'\\): finding label errors needs at least two classes"),
])
def test_bad_folders_are_named(tmp_path, setup, error, message):
    setup(tmp_path)
    with pytest.raises(error, match=message):
        scan_image_folder(str(tmp_path / 'd'))


@pytest.mark.parametrize('text, error, message', [
    ('cat/000.png,dog\ncat/000.png,cat\n', ValueError,
     r"names 1 file\(s\) more than once, e.g. 'cat/000.png': one label per image"),
    ('cat/000.png,bird\ndog/000.png,dog\n', ValueError,
     r"labels \['bird'\] are not class folders of"),
    ('cat/000.png,cat,extra\n', ValueError, 'row 1 has 3 fields; expected "filename,label"'),
    ('cat/009.png,cat\ndog/000.png,dog\n', FileNotFoundError,
     r"1 file\(s\) listed in .* are not under .*, e.g. 'cat/009.png'"),
])
def test_bad_annotation_files_are_named(tmp_path, text, error, message):
    root = folder(tmp_path / 'd', {'cat': 1, 'dog': 1})
    (tmp_path / 'labels.csv').write_text(text)
    with pytest.raises(error, match=message):
        scan_image_folder(root, str(tmp_path / 'labels.csv'))


def test_the_list_file_reads_back_through_mmpretrain(tmp_path):
    from mmpretrain.datasets import CustomDataset
    root = folder(tmp_path / 'd', {'cat': 2, 'dog': 3})
    scan = scan_image_folder(root)
    path = write_list_file(scan, str(tmp_path / 'images.txt'))
    ds = CustomDataset(data_root=root, ann_file=path, with_label=True,
                       metainfo=dict(classes=list(scan.classes)))
    assert [osp.relpath(ds.get_data_info(i)['img_path'], root) for i in range(len(ds))] == \
        scan.filenames
    assert ds.get_gt_labels().tolist() == scan.labels.tolist()


# ---------------------------------------------------------------------------- choices
def _scan(sizes, n=None):
    sizes = np.asarray(sizes)
    n = n or len(sizes)
    return type('Scan', (), dict(sizes=np.resize(sizes, (n, 2)), __len__=lambda self: n))()


def test_network_epochs_and_copy_crop_follow_the_images():
    assert tool.choose_network(_scan([[28, 28]])) == ('smallcnn', 32)
    assert tool.choose_network(_scan([[300, 200]])) == ('resnet18', 224)
    assert tool.choose_network(_scan([[300, 200]], n=100_000)) == ('resnet50', 224)
    assert tool.choose_network(_scan([[28, 28]]), pretrained='w.pth') == ('resnet18', 224)
    assert tool.choose_network(_scan([[28, 28]]), image_size=48) == ('smallcnn', 48)
    with pytest.raises(ValueError, match='--pretrained loads ImageNet weights into a ResNet'):
        tool.choose_network(_scan([[28, 28]]), network='smallcnn', pretrained='w.pth')
    assert [tool.default_epochs(n) for n in (1000, 20_000, 20_001, 500_000)] == [40, 40, 25, 15]
    assert tool.default_epochs(1000, pretrained=True) == 10
    # CIFAR's 4 px of 32; bounded by the smallest image
    assert tool.copy_crop(_scan([[32, 32]])) == 4
    assert tool.copy_crop(_scan([[224, 300], [7, 9]] * 3)) == 3
    assert tool.copy_crop(_scan([[8, 8]])) == 1


def test_pretrained_backbone_from_torchvision_and_mmpretrain_files_and_urls(tmp_path, file_server):
    from mmnoisy.registry import MODELS
    torch.manual_seed(0)
    backbone = MODELS.build(tool.NETWORKS['resnet18'][0])
    weights = backbone.state_dict()
    # torchvision's layout: the backbone's names plus fc.*
    tv = dict(weights, **{'fc.weight': torch.zeros(1000, 512), 'fc.bias': torch.zeros(1000)})
    torch.save(tv, tmp_path / 'tv.pth')
    mm = {'state_dict': dict({f'backbone.{k}': v for k, v in weights.items()},
                             **{'head.fc.weight': torch.zeros(10, 512)})}
    torch.save(mm, tmp_path / 'mm.pth')
    for name in ('tv.pth', 'mm.pth'):
        out = tool.pretrained_backbone(str(tmp_path / name), 'resnet18',
                                       str(tmp_path / f'out_{name}'))
        saved = torch.load(out)['state_dict']
        assert saved.keys() == weights.keys()
        assert all(torch.equal(saved[k], weights[k]) for k in weights)
    # a URL (here 127.0.0.1): downloaded into the cache, then the same
    import io
    buf = io.BytesIO()
    torch.save(tv, buf)
    server = file_server({'resnet18-tv.pth': buf.getvalue()})
    os.environ['MMNOISY_CACHE'] = str(tmp_path / 'cache')
    try:
        out = tool.pretrained_backbone(f'{server.url}/resnet18-tv.pth', 'resnet18',
                                       str(tmp_path / 'out_url.pth'))
    finally:
        del os.environ['MMNOISY_CACHE']
    assert torch.load(out)['state_dict'].keys() == weights.keys()
    (entry, ) = os.listdir(tmp_path / 'cache')          # the cache is keyed by the URL
    assert os.listdir(tmp_path / 'cache' / entry) == ['resnet18-tv.pth']
    torch.save({'conv.weight': torch.zeros(3)}, tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='does not fit a resnet18 backbone: 0 of its'):
        tool.pretrained_backbone(str(tmp_path / 'other.pth'), 'resnet18', str(tmp_path / 'x'))


def test_the_folder_config_trains_the_pretrained_backbone(tmp_path):
    """The built config's model starts from the file's weights (init_cfg), reads the folder
    through the list file with the classes' names, and the labels count as unverified."""
    import argparse

    from mmnoisy.registry import DATASETS, MODELS
    from mmnoisy.utils import register_all_modules
    register_all_modules()
    root = folder(tmp_path / 'd', {'cat': 3, 'dog': 3})
    scan = scan_image_folder(root)
    list_file = write_list_file(scan, str(tmp_path / 'images.txt'))
    torch.manual_seed(1)
    weights = MODELS.build(tool.NETWORKS['resnet18'][0]).state_dict()
    torch.save(weights, tmp_path / 'tv.pth')
    pre = tool.pretrained_backbone(str(tmp_path / 'tv.pth'), 'resnet18', str(tmp_path / 'p.pth'))
    args = argparse.Namespace(gamma=0.1, batch_size=4, workers=0, seed=0)
    cfg = tool.folder_config(scan, args, str(tmp_path / 'w'), list_file, 'resnet18', 32, 5, pre)
    assert cfg.param_scheduler.milestones == [2, 3, 4, 4, 4]  # 0.5 .. 0.9 of 5 epochs
    assert cfg.optim_wrapper.optimizer.lr == 0.01             # fine-tuning
    model = MODELS.build(cfg.model)
    model.init_weights()
    got = model.backbone.state_dict()
    assert all(torch.equal(got[k], weights[k]) for k in weights)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert tuple(ds.metainfo['classes']) == ('cat', 'dog') and ds.noise.clean_labels is None
    assert ds.get_gt_labels().tolist() == [0, 0, 0, 1, 1, 1]


# ------------------------------------------------------------------------------ report
def test_suspects_are_ranked_by_the_primary_score_with_every_detector_beside(tmp_path):
    results = {'dynacor': dict(scores=np.array([0.1, 0.9, 0.5]), flags=np.array([0, 1, 1])),
               'aum': dict(scores=np.array([3.0, 1.0, 2.0]), flags=np.array([1, 0, 0]))}
    rows = suspects_table(['a.png', 'b.png', 'c.png'], [0, 1, 0], [0, 0, 1], results,
                          ('cat', 'dog'))
    assert [r['filename'] for r in rows] == ['b.png', 'c.png', 'a.png']
    assert rows[0] == dict(filename='b.png', given_label='dog', suggested_label='cat',
                           score=0.9, flag=1, dynacor_score=0.9, dynacor_flag=1,
                           aum_score=1.0, aum_flag=0)
    assert flag_threshold(results['dynacor']['scores'], results['dynacor']['flags']) == 0.5
    # equal primary scores: the detectors' mean rank decides (DynaCor's ranks are all 2, AUM's
    # 2, 1, 3: a 2, b 1.5, c 2.5)
    tied = {'dynacor': dict(scores=np.array([0.5, 0.5, 0.5]), flags=np.ones(3)),
            'aum': dict(scores=np.array([1.0, 0.0, 2.0]), flags=np.zeros(3))}
    rows = suspects_table(['a', 'b', 'c'], [0, 0, 0], [0, 0, 0], tied, ('cat', 'dog'))
    assert [r['filename'] for r in rows] == ['c', 'a', 'b']
    assert flag_threshold([1.0, 2.0], [0, 0]) is None


def test_the_report_page_is_self_contained(tmp_path):
    root = folder(tmp_path / 'd', {'cat': 2, 'dog': 2})
    results = {'dynacor': dict(scores=np.array([0.1, 0.9, 0.5, 0.2]),
                               flags=np.array([0, 1, 1, 0]), metrics={})}
    names = ['cat/000.png', 'cat/001.png', 'dog/000.png', 'dog/001.png']
    rows = suspects_table(names, [0, 0, 1, 1], [0, 1, 1, 1], results, ('cat', 'dog'))
    path = write_report_html(str(tmp_path / 'report.html'), rows, root=root,
                             classes=('cat', 'dog'), class_counts=[2, 2], flagged_counts=[1, 1],
                             results=results, primary='dynacor', title='Label errors in d',
                             notes=['skipped (unreadable): x.png: broken'], top=3)
    page = open(path).read()
    srcs = [part.split('"')[0] for part in page.split('src="')[1:]]
    assert len(srcs) == 4 and all(s.startswith('data:image/png;base64,') for s in srcs)
    assert page.count('class="card') == 3                     # the top 3 only
    assert page.index('cat/001.png') < page.index('dog/000.png')   # ranked
    assert '<td>cat</td><td>2</td><td>1</td><td>50.0%</td>' in page
    assert 'x.png: broken' in page and 'http' not in page.replace('https://', '')
    # an 8x8 image is enlarged to 96 px without smoothing
    import base64
    import io
    data = base64.b64decode(thumbnail(osp.join(root, 'cat/000.png')).split(',', 1)[1])
    assert Image.open(io.BytesIO(data)).size == (96, 96)


def test_the_score_figure_draws_each_threshold_and_a_title():
    from mmnoisy.detection.report import score_figure
    results = {m: dict(scores=np.linspace(0, 1, 10), flags=np.linspace(0, 1, 10) > 0.55,
                       metrics={}) for m in ('dynacor', 'aum')}
    fig = score_figure(results, title='digits, symmetric noise 40%')
    assert fig._suptitle.get_text() == 'digits, symmetric noise 40%'
    for ax in fig.axes:
        (line, ) = ax.lines
        assert line.get_xdata()[0] == pytest.approx(5 / 9)   # the lowest flagged score


# ------------------------------------------------------------------------ whole path
@pytest.mark.slow
def test_a_folder_with_planted_errors_end_to_end(tmp_path):
    """The digits as PNG class folders with 20% in a wrong folder: suspects.csv ranks every
    image, the report and summary are written, unreadable files are listed; a second run on
    the work dir re-scores without training; --out leaves the run's files alone."""
    from tools.benchmark.bench_label_errors import make_folder
    data = tmp_path / 'digits'
    make_folder('digits', str(data), count=300, rate=0.2)
    (data / 'digit-3' / 'broken.png').write_bytes(b'not a png')
    work = tmp_path / 'work'
    proc = run_tool('tools/detect_noisy_labels.py', '--data-root', str(data), '--work-dir',
                    str(work), '--epochs', '6', '--workers', '0')
    log = proc.stdout + proc.stderr
    for stage in ('[1/3] checking the images', '[2/3] training the classifier',
                  '[3/3] writing the report'):
        assert stage in log
    assert 'ETA' in log and '1 unreadable, skipped' in log
    with open(work / 'suspects.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 300 and len({r['filename'] for r in rows}) == 300
    scores = [float(r['score']) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert set(rows[0]) >= {'filename', 'given_label', 'suggested_label', 'score', 'flag',
                            'dynacor_score', 'aum_score', 'gmm_score', 'cl_score'}
    summary = json.load(open(work / 'summary.json'))
    assert summary['network'] == 'smallcnn' and summary['num_images'] == 300
    assert summary['skipped'][0]['filename'] == 'digit-3/broken.png'
    assert (work / 'report.html').stat().st_size > 10_000
    assert (work / 'noisy_label_detection' / 'scores.png').is_file()
    checkpoints = sorted(p.name for p in work.glob('*.pth'))
    # the work dir again: the same flags, no training
    before = (work / 'noisy_label_detection' / 'dynacor_suspects.csv').read_text()
    run_tool('tools/detect_noisy_labels.py', str(work), '--method', 'dynacor', 'aum', 'gmm',
             'cl')
    assert sorted(p.name for p in work.glob('*.pth')) == checkpoints
    assert (work / 'noisy_label_detection' / 'dynacor_suspects.csv').read_text() == before
    with open(work / 'suspects.csv') as f:
        assert [r['flag'] for r in csv.DictReader(f)] == [r['flag'] for r in rows]
    # --out: only that file is written
    stamp = {p: p.stat().st_mtime_ns for p in (work / 'noisy_label_detection').iterdir()}
    run_tool('tools/detect_noisy_labels.py', str(work), '--method', 'gmm', '--out',
             str(tmp_path / 'gmm.csv'))
    assert (tmp_path / 'gmm.csv').is_file()
    assert {p: p.stat().st_mtime_ns for p in (work / 'noisy_label_detection').iterdir()} == stamp


def test_images_are_checked_with_the_training_decoder(tmp_path):
    """An empty file and a text file named .jpg are skipped with a reason, as a PNG header
    with nothing after it; the sizes are (height, width)."""
    root = folder(tmp_path / 'd', {'a': 1, 'b': 1})
    image(str(tmp_path / 'd' / 'a' / 'wide.png'), size=(12, 5))
    (tmp_path / 'd' / 'a' / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'd' / 'b' / 'text.jpg').write_text('hello')
    (tmp_path / 'd' / 'b' / 'cut.png').write_bytes(b'\x89PNG\r\n\x1a\n')
    scan = scan_image_folder(root)
    assert sorted(f for f, _ in scan.skipped) == ['a/empty.jpg', 'b/cut.png', 'b/text.jpg']
    assert all(reason for _, reason in scan.skipped)
    assert dict(zip(scan.filenames, scan.sizes.tolist()))['a/wide.png'] == [5, 12]
