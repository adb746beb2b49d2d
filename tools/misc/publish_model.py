"""Prepare a checkpoint for release: keep only meta and state_dict, append -{sha256[:8]}.

python tools/misc/publish_model.py work_dirs/run/epoch_300.pth ce_resnet18_cifar10-sym50.pth
-> ce_resnet18_cifar10-sym50_20261121-1a2b3c4d.pth (date and hash added, OpenMMLab style)
"""
import argparse
import datetime
import hashlib
import io
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmnoisy.compat import safe_torch_load  # noqa: E402
from mmnoisy.utils.io import atomic_write  # noqa: E402


def publish(in_file, out_file, add_date=True):
    checkpoint = safe_torch_load(in_file)
    if 'state_dict' not in checkpoint:
        raise ValueError(f'{in_file} has no state_dict: is it an mmengine checkpoint?')
    slim = {'meta': checkpoint.get('meta', {}), 'state_dict': checkpoint['state_dict']}
    stem = osp.splitext(out_file)[0]
    if add_date:
        stem += datetime.date.today().strftime('_%Y%m%d')
    buf = io.BytesIO()
    torch.save(slim, buf)
    data = buf.getvalue()
    return atomic_write(f'{stem}-{hashlib.sha256(data).hexdigest()[:8]}.pth', data)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint written by training')
    parser.add_argument('out_file', help='name of the published file (hash is appended)')
    parser.add_argument('--no-date', action='store_true', help='do not add the date')
    args = parser.parse_args(argv)
    print(publish(args.in_file, args.out_file, add_date=not args.no_date))


if __name__ == '__main__':
    main()
