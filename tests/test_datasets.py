import functools
import http.server
import os
import os.path as osp
import tarfile
import threading

import numpy as np
import pytest
from PIL import Image

from mmnoisy.datasets import (CIFAR10, CIFAR100, Animal10N, Clothing1M, Digits, ImageNetVal,
                              MiniWebVision)
from tests.conftest import write_cifar10


def test_cifar10_reads_official_layout_without_md5(cifar10_root):
    ds = CIFAR10(data_root=cifar10_root, split='train', pipeline=[])
    assert len(ds) == 50
    info = ds[3]
    assert info['img'].shape == (32, 32, 3) and info['img'].dtype == np.uint8
    assert info['gt_label'] == 3 and info['sample_idx'] == 3
    assert np.array_equal(ds.get_gt_labels(), np.arange(50) % 10)
    assert len(CIFAR10(data_root=cifar10_root, split='test', pipeline=[])) == 20


def test_cifar10_pixel_order_is_hwc(tmp_path):
    root = write_cifar10(str(tmp_path))
    import pickle
    with open(osp.join(root, 'cifar-10-batches-py', 'data_batch_1'), 'rb') as f:
        raw = pickle.load(f)['data'][0].reshape(3, 32, 32)
    img = CIFAR10(data_root=root, pipeline=[])[0]['img']
    assert np.array_equal(img[..., 0], raw[0]) and np.array_equal(img[..., 2], raw[2])


def test_cifar_md5_check_is_optional_and_explicit(cifar10_root):
    with pytest.raises(ValueError, match='not the official'):
        CIFAR10(data_root=cifar10_root, check_md5=True, pipeline=[])


def test_cifar_missing_files_say_where(tmp_path):
    with pytest.raises(FileNotFoundError, match='looked for.*data_batch_1.*download=True'):
        CIFAR10(data_root=str(tmp_path / 'nowhere'), pipeline=[])


def test_cifar100_has_coarse_labels(cifar100_root):
    ds = CIFAR100(data_root=cifar100_root, split='train', pipeline=[])
    assert len(ds) == 200 and len(ds.metainfo['classes']) == 100
    assert np.array_equal(ds.get_coarse_labels(), (np.arange(200) % 100) % 20)
    assert ds[5]['coarse_label'] == 5


@pytest.fixture
def http_server(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_cifar10_download_from_server(tmp_path, http_server):
    served, url = http_server
    src = write_cifar10(str(tmp_path / 'src'))
    archive = served / 'cifar-10-python.tar.gz'
    with tarfile.open(archive, 'w:gz') as tar:
        tar.add(osp.join(src, 'cifar-10-batches-py'), arcname='cifar-10-batches-py')
    root = str(tmp_path / 'downloaded')
    ds = CIFAR10(data_root=root, download=True, url=f'{url}/cifar-10-python.tar.gz',
                 pipeline=[])
    assert len(ds) == 50
    assert osp.isfile(osp.join(root, 'cifar-10-batches-py', 'test_batch'))


def _jpg(path, color=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.new('RGB', (8, 8), (color, color, color)).save(path)


def test_animal10n_layout(tmp_path):
    for split, names in (('training', ['0_001.jpg', '3_002.jpg', '9_003.jpg']),
                         ('testing', ['1_004.jpg'])):
        for n in names:
            _jpg(str(tmp_path / split / n))
    ds = Animal10N(data_root=str(tmp_path), split='train', pipeline=[])
    assert len(ds) == 3 and list(ds.get_gt_labels()) == [0, 3, 9]
    assert ds.labels_are_noisy and ds[1]['img_path'].endswith('3_002.jpg')
    assert not Animal10N(data_root=str(tmp_path), split='test', pipeline=[]).labels_are_noisy
    with pytest.raises(FileNotFoundError, match='training'):
        Animal10N(data_root=str(tmp_path / 'x'), pipeline=[])


def test_clothing1m_layout(tmp_path):
    root = tmp_path
    (root / 'noisy_label_kv.txt').write_text('images/0/a.jpg 3\nimages/0/b.jpg 13\n')
    (root / 'clean_label_kv.txt').write_text('images/1/c.jpg 5\n')
    (root / 'noisy_train_key_list.txt').write_text('images/0/a.jpg\nimages/0/b.jpg\n')
    (root / 'clean_test_key_list.txt').write_text('images/1/c.jpg\n')
    ds = Clothing1M(data_root=str(root), split='noisy_train', pipeline=[])
    assert list(ds.get_gt_labels()) == [3, 13] and len(ds.metainfo['classes']) == 14
    test = Clothing1M(data_root=str(root), split='clean_test', pipeline=[])
    assert list(test.get_gt_labels()) == [5] and test[0]['img_path'].endswith('images/1/c.jpg')
    (root / 'clean_val_key_list.txt').write_text('images/9/z.jpg\n')
    with pytest.raises(ValueError, match='have no label'):
        Clothing1M(data_root=str(root), split='clean_val', pipeline=[])


def test_webvision_first_50_classes_and_imagenet_val(tmp_path):
    info = tmp_path / 'webvision' / 'info'
    info.mkdir(parents=True)
    (info / 'train_filelist_google.txt').write_text(
        'google/q0001/a.jpg 0\ngoogle/q0051/b.jpg 50\ngoogle/q0049/c.jpg 49\n')
    (info / 'val_filelist.txt').write_text('val0001.jpg 1\nval0002.jpg 77\n')
    train = MiniWebVision(data_root=str(tmp_path / 'webvision'), pipeline=[])
    assert list(train.get_gt_labels()) == [0, 49] and len(train.metainfo['classes']) == 50
    val = MiniWebVision(data_root=str(tmp_path / 'webvision'), split='val', pipeline=[])
    assert len(val) == 1 and val[0]['img_path'].endswith('val_images_256/val0001.jpg')
    meta = tmp_path / 'imagenet' / 'meta'
    meta.mkdir(parents=True)
    (meta / 'val.txt').write_text('ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_2.JPEG 3\n')
    inet = ImageNetVal(data_root=str(tmp_path / 'imagenet'), pipeline=[])
    assert list(inet.get_gt_labels()) == [3]


def test_digits_split():
    train = Digits(split='train', pipeline=[])
    test = Digits(split='test', pipeline=[])
    assert len(train) == 1347 and len(test) == 450
    img = train[0]['img']
    assert img.shape == (8, 8, 1) and img.dtype == np.uint8 and img.max() > 200


def test_labels_are_noisy_overrides_what_the_dataset_says():
    from mmnoisy.datasets import NoisyLabelDataset
    digits = dict(type='Digits', split='train', pipeline=[])
    known = NoisyLabelDataset(digits, dict(type='none'))
    assert (known.get_data_info(5)['clean_label'] == known.get_gt_labels()[5] >= 0)
    own = NoisyLabelDataset(digits, dict(type='none'), labels_are_noisy=True)
    info = own.get_data_info(5)
    assert info['clean_label'] == -1 and info['is_noisy'] == -1
    assert list(own.get_gt_labels()) == list(known.get_gt_labels())
    with pytest.raises(ValueError, match="labels_are_noisy must be None, True or False"):
        NoisyLabelDataset(digits, dict(type='none'), labels_are_noisy='yes')


def test_label_array_matches_a_subset_taken_with_indices(cifar10_root):
    ds = CIFAR10(data_root=cifar10_root, indices=[4, 7, 9], pipeline=[])
    assert list(ds.get_gt_labels()) == [ds[i]['gt_label'] for i in range(3)] == [4, 7, 9]
