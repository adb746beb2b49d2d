"""Mine SCAN's neighbours for VRLVMix from a self-supervised encoder.

    python tools/vrlvmix/mine_neighbours.py SIMCLR_CONFIG CHECKPOINT \
        --data-config configs/vrlvmix/vrlvmix_..._cifar10-sym80.py --out-dir DIR [--k 20]
    python tools/vrlvmix/mine_neighbours.py configs/vrlvmix/resnet50_imagenet_encoder.py \
        --data-config configs/vrlvmix/vrlvmix_resnet50_1xb32-80e_clothing1m.py --out-dir DIR

The encoder (the backbone of the SimCLR model of SIMCLR_CONFIG, e.g.
configs/vrlvmix/simclr_resnet18_1xb512-500e_cifar10.py, with the weights of CHECKPOINT) embeds
(or, without CHECKPOINT, the weights its ``init_cfg`` names, e.g. torchvision's ImageNet
ResNet-50) every training sample of DATA_CONFIG's training set, in its order (``sample_idx``), through
that config's test pipeline; the pooled features are L2-normalised and each sample's k most
similar others (cosine) are its neighbours. Written to DIR (atomically, so an interrupted run
leaves nothing half-written):

* ``features.npy`` (N, D) float16: for ``VRLVSelectionHook(features=...)``;
* ``neighbours.npy`` (N, k) int32, nearest first: for ``VRLVMix(scan=dict(neighbours=...))``.

The neighbours are computed once and reused by every run on that training set (the noise
does not change the images).
"""
import argparse
import io
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the self-supervised (SimCLR) config')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help="its trained weights (default: the model's init_cfg)")
    parser.add_argument('--data-config', required=True,
                        help='the VRLVMix config whose training set is embedded')
    parser.add_argument('--out-dir', required=True, help='where features.npy and '
                        'neighbours.npy are written')
    parser.add_argument('--k', type=int, default=20, help='neighbours per sample (20)')
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the data config (e.g. its data_root)')
    return parser.parse_args(argv)


def build_encoder(cfg, checkpoint, device):
    """The SimCLR model's backbone with its weights, in eval mode."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    from mmnoisy.compat import apply_patches
    apply_patches()  # the safe checkpoint loaders
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        model.init_weights()   # e.g. init_cfg=dict(type='Pretrained', checkpoint=...)
    else:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    encoder = model.backbone.to(device)
    encoder.eval()  # mmpretrain's ResNet.train() returns None
    return encoder


def training_view(data_cfg):
    """The data config's training set through its test pipeline, in sample_idx order."""
    from mmengine.registry import init_default_scope

    from mmnoisy.datasets.views import PipelineView
    from mmnoisy.registry import DATASETS
    from mmnoisy.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope('mmnoisy')
    dataset = DATASETS.build(data_cfg.train_dataloader.dataset)
    val = data_cfg.get('val_dataloader') or data_cfg.get('test_dataloader')
    return PipelineView(dataset, val['dataset']['pipeline'])


@torch.no_grad()
def embed(encoder, view, preprocessor, batch_size, num_workers, device):
    from mmengine.dataset import pseudo_collate
    mean = torch.tensor(preprocessor['mean'], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(preprocessor['std'], dtype=torch.float32).view(1, -1, 1, 1)
    loader = torch.utils.data.DataLoader(view, batch_size=batch_size, shuffle=False,
                                         num_workers=num_workers, collate_fn=pseudo_collate)
    out = []
    for data in loader:
        x = torch.stack(data['inputs']).float()
        if preprocessor.get('to_rgb', False) and x.shape[1] == 3:
            x = x.flip(1)
        x = ((x - mean) / std).to(device)
        feats = encoder(x)[-1]
        out.append(feats.mean(dim=(2, 3)) if feats.ndim == 4 else feats)
    return torch.cat(out).cpu()


def save_npy(path, array):
    from mmnoisy.utils.io import atomic_write
    buf = io.BytesIO()
    np.save(buf, array)
    return atomic_write(path, buf.getvalue())


def main(argv=None):
    args = parse_args(argv)
    from mmnoisy.selection.neighbours import knn_cosine
    from mmnoisy.utils.tools import load_config
    cfg = load_config(args.config)
    data_cfg = load_config(args.data_config)
    if args.cfg_options:
        data_cfg.merge_from_dict(args.cfg_options)
    if args.checkpoint is not None and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    encoder = build_encoder(cfg, args.checkpoint, args.device)
    view = training_view(data_cfg)
    n = len(view)
    if not 1 <= args.k < n:
        raise ValueError(f'--k must be in [1, {n - 1}] for {n} training samples, got {args.k}')
    feats = embed(encoder, view, cfg.data_preprocessor, args.batch_size, args.num_workers,
                  args.device)
    nbrs = knn_cosine(feats, args.k).astype(np.int32)
    f = save_npy(osp.join(args.out_dir, 'features.npy'), feats.numpy().astype(np.float16))
    g = save_npy(osp.join(args.out_dir, 'neighbours.npy'), nbrs)
    print(f'{n} samples embedded ({feats.shape[1]}-d): {f}; {args.k} neighbours each: {g}')


if __name__ == '__main__':
    main()
