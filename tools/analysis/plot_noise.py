"""Heatmap of a noise transition matrix.

python tools/analysis/plot_noise.py work_dirs/run/noisy_labels.npz --out noise.png
python tools/analysis/plot_noise.py CONFIG --out noise.png      # builds the noisy train set
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def load_matrix(source):
    """(transition matrix, title, class names or None) from a noise .npz or a config."""
    if source.endswith('.npz'):
        with np.load(source, allow_pickle=False) as data:
            if 'transition_matrix' not in data.files:
                raise ValueError(f'{source} has no transition matrix: the clean labels of '
                                 'that dataset are unknown')
            rate = float(data['noise_rate'])
            return data['transition_matrix'], f'{osp.basename(source)}: noise {rate:.1%}', None
    from mmnoisy.datasets import find_noisy_dataset
    from mmnoisy.registry import DATASETS
    from mmnoisy.utils import register_all_modules
    from mmnoisy.utils.tools import load_config
    register_all_modules()
    cfg = load_config(source)
    dataset = find_noisy_dataset(DATASETS.build(cfg.train_dataloader.dataset))
    if dataset is None or dataset.noise.transition_matrix is None:
        raise ValueError(f'{source}: the training set has no synthetic noise to plot')
    noise = dataset.noise
    title = f"{noise.settings.get('type')} noise: realised {noise.noise_rate:.1%}"
    return noise.transition_matrix, title, dataset.metainfo.get('classes')


def plot(matrix, title, out, classes=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    num = len(matrix)
    size = min(12, 3 + 0.45 * num)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(matrix, cmap='viridis', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xlabel('noisy label')
    ax.set_ylabel('clean label')
    ax.set_title(title)
    if num <= 20:
        names = list(classes) if classes is not None and len(classes) == num else range(num)
        ax.set_xticks(range(num), names, rotation=90)
        ax.set_yticks(range(num), names)
        for i in range(num):
            for j in range(num):
                if matrix[i, j] >= 0.005:
                    ax.text(j, i, f'{matrix[i, j]:.2f}', ha='center', va='center',
                            color='white' if matrix[i, j] < 0.5 else 'black', fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description='Plot a noise transition matrix')
    parser.add_argument('source', help='noisy_labels.npz of a run, or a config file')
    parser.add_argument('--out', default='transition_matrix.png', help='PNG to write')
    args = parser.parse_args(argv)
    matrix, title, classes = load_matrix(args.source)
    print(plot(matrix, title, args.out, classes))


if __name__ == '__main__':
    main()
