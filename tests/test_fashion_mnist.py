"""Fashion-MNIST: the idx reader, the dataset (gz or raw files, subsets, download from a local
server, damaged files), and what the benchmark on it relies on (asymmetric map, taxonomy,
the memorising CNN, grey-scale AutoAugment)."""
import gzip
import os.path as osp
import struct

import numpy as np
import pytest
import torch

from mmnoisy.datasets.fashion_mnist import FashionMNIST, read_idx

FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
         'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def idx_bytes(array):
    array = np.asarray(array)
    code = {np.dtype(np.uint8): 0x08, np.dtype('>i4'): 0x0C}[array.dtype]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f'>{array.ndim}i', *array.shape)
    return head + array.tobytes()


def fashion_arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def write_fashion(root, n_train=30, n_test=20, compress=True):
    """Four idx files in ``root`` (gzip-compressed as Debian ships them, or raw)."""
    import os
    os.makedirs(root, exist_ok=True)
    arrays = {'train': fashion_arrays(n_train, 0), 'test': fashion_arrays(n_test, 1)}
    for split, (img_name, lab_name) in FILES.items():
        for name, array in ((img_name, arrays[split][0]), (lab_name, arrays[split][1])):
            data = idx_bytes(array)
            if compress:
                with gzip.open(osp.join(root, name + '.gz'), 'wb') as f:
                    f.write(data)
            else:
                with open(osp.join(root, name), 'wb') as f:
                    f.write(data)
    return arrays


@pytest.mark.parametrize('compress', [True, False])
def test_dataset_reads_the_idx_files(tmp_path, compress):
    arrays = write_fashion(str(tmp_path), compress=compress)
    train = FashionMNIST(data_root=str(tmp_path), split='train', pipeline=[])
    test = FashionMNIST(data_root=str(tmp_path), split='test', pipeline=[])
    assert (len(train), len(test)) == (30, 20) and test.test_mode and not train.test_mode
    item = train[7]
    assert item['img'].shape == (28, 28, 1)
    assert np.array_equal(item['img'][..., 0], arrays['train'][0][7])
    assert item['gt_label'] == 7
    assert np.array_equal(test.get_gt_labels(), arrays['test'][1])
    assert train.metainfo['classes'][6] == 'Shirt'
    subset = FashionMNIST(data_root=str(tmp_path), split='train', indices=12, pipeline=[])
    assert np.array_equal(subset.get_gt_labels(), arrays['train'][1][:12])


def test_read_idx_values_and_damaged_files(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    path = tmp_path / 'labels'
    path.write_bytes(idx_bytes(labels))
    assert np.array_equal(read_idx(str(path)), labels)
    ints = np.array([[1, -2], [300000, 4]], '>i4')
    path.write_bytes(idx_bytes(ints))
    out = read_idx(str(path))
    assert out.dtype == np.int32 and out.tolist() == [[1, -2], [300000, 4]]
    path.write_bytes(idx_bytes(labels)[:-2])  # cut short
    with pytest.raises(ValueError, match=r'labels holds 3 bytes of data.*\(5,\).*incomplete'):
        read_idx(str(path))
    path.write_bytes(b'PK\x03\x04 not idx')
    with pytest.raises(ValueError, match='labels is not an idx file'):
        read_idx(str(path))
    gz = tmp_path / 'labels.gz'
    gz.write_bytes(gzip.compress(idx_bytes(labels))[:-9])  # gzip stream cut short
    with pytest.raises(ValueError, match=r'labels\.gz is not a readable idx file'):
        read_idx(str(gz))


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r't10k-images-idx3-ubyte\[\.gz\] not found.*apt-get install '
                       r'dataset-fashion-mnist.*download=True'):
        FashionMNIST(data_root=str(tmp_path), split='test', pipeline=[])
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        FashionMNIST(data_root=str(tmp_path), split='val', pipeline=[])


def test_download_from_a_local_server(tmp_path, file_server):
    src = tmp_path / 'src'
    write_fashion(str(src))
    server = file_server({p.name: p.read_bytes() for p in src.iterdir()})
    root = tmp_path / 'data'
    ds = FashionMNIST(data_root=str(root), split='test', download=True, url=server.url + '/',
                      pipeline=[])
    assert len(ds) == 20 and server.requests == 2  # the test split's two files only
    assert sorted(p.name for p in root.iterdir()) == ['t10k-images-idx3-ubyte.gz',
                                                      't10k-labels-idx1-ubyte.gz']
    FashionMNIST(data_root=str(root), split='test', download=True, url=server.url,
                 pipeline=[])
    assert server.requests == 2  # present: not fetched again
    with pytest.raises(FileNotFoundError, match=r'could not download .*/missing/'
                       r'train-images-idx3-ubyte\.gz'):
        FashionMNIST(data_root=str(tmp_path / 'other'), split='train', download=True,
                     url=server.url + '/missing/', pipeline=[])
    assert not (tmp_path / 'other' / 'train-images-idx3-ubyte.gz').exists()


def test_fashion_mnist_asymmetric_map():
    from mmnoisy.noise import apply_noise
    labels = np.repeat(np.arange(10), 100)
    out = apply_noise(dict(type='asymmetric', rate=0.4, seed=3, mapping='fashion_mnist'),
                      labels, 10)
    noisy = out.noisy_labels
    changed = noisy != labels
    # T-shirt -> Shirt, Pullover <-> Coat, Sandal -> Sneaker, Sneaker -> Ankle boot; about 40%
    # of each source class (DivideMix's draw: 40% of all samples, the sources among them flip)
    pairs = {(int(a), int(b)) for a, b in zip(labels[changed], noisy[changed])}
    assert pairs == {(0, 6), (2, 4), (4, 2), (5, 7), (7, 9)}
    counts = np.bincount(labels[changed], minlength=10)
    assert counts[[1, 3, 6, 8, 9]].tolist() == [0] * 5
    assert all(28 <= c <= 52 for c in counts[[0, 2, 4, 5, 7]])


def test_fashion_mnist_taxonomy_distances():
    from mmnoisy.taxonomy import build_taxonomy
    tax = build_taxonomy('fashion_mnist')
    assert tax.classes[0] == 'T-shirt/top' and tax.classes[9] == 'Ankle boot'
    plca = np.asarray(tax.plca_matrix())
    assert plca[0, 6] == 2   # T-shirt / Shirt: both tops
    assert plca[5, 9] == 2   # Sandal / Ankle boot: footwear
    assert plca[0, 1] == 4   # T-shirt / Trouser: garments
    assert plca[7, 8] == 4   # Sneaker / Bag: accessories
    assert plca[3, 8] == 6   # Dress / Bag
    assert plca[4, 4] == 0


def test_memorising_cnn_flattens_3x3_features():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import MODELS
    from tests.conftest import ROOT
    init_default_scope('mmnoisy')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/small_cnn_mlp.py'))
    model = MODELS.build(cfg.model).eval()
    x = torch.randn(2, 1, 28, 28)
    (maps, ) = model.backbone(x)
    assert maps.shape == (2, 128, 3, 3)  # pooled after every block: 28 -> 14 -> 7 -> 3
    feats, logits = model(x, mode='both')
    # the features are the fully connected layer's ReLU of the flattened maps
    neck = model.neck
    assert torch.allclose(feats, torch.relu(maps.flatten(1) @ neck.fc.weight.T + neck.fc.bias))
    assert torch.allclose(logits, feats @ model.head.fc.weight.T + model.head.fc.bias)


@pytest.mark.parametrize('shape', [(28, 28), (28, 28, 1)])
def test_autoaugment_keeps_grey_images_grey(shape):
    import random

    from mmnoisy.datasets.transforms import CIFAR10AutoAugment
    transform = CIFAR10AutoAugment()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    random.seed(0)
    np.random.seed(0)
    outs = [transform(dict(img=img.copy()))['img'] for _ in range(20)]
    assert all(o.shape == shape and o.dtype == np.uint8 for o in outs)
    assert any(not np.array_equal(o, img) for o in outs)
    # the grey image is augmented as its three equal channels: channel 0 is what an RGB
    # copy of it gives
    rgb = np.repeat(img.reshape(28, 28, 1), 3, axis=2)
    random.seed(5)
    np.random.seed(5)
    grey = transform(dict(img=img.copy()))['img']
    random.seed(5)
    np.random.seed(5)
    colour = transform(dict(img=rgb))['img']
    assert np.array_equal(grey.reshape(28, 28), colour[..., 0])
