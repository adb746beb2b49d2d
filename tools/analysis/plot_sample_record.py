"""Plot what the per-sample record says about a finished run.

python tools/analysis/plot_sample_record.py WORK_DIR [--out FILE.png] [--net net] [--epoch E]

Reads WORK_DIR/sample_record.npz (and selection_quality.json when a GMMConfidenceHook ran) and
draws (left) the histogram of the normalised losses the GMM split, separately for clean and
noisy samples when the clean labels are known, with the two fitted Gaussian components; (right)
the trusted fraction over epochs with precision, recall and F1 of "trusted = clean".
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def load(work_dir, net=None, signal='loss'):
    path = osp.join(work_dir, 'sample_record.npz')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: was the run trained with a SampleRecordHook '
                                'and did it finish?')
    data = dict(np.load(path))
    meta = json.loads(str(data['meta_json']))
    net = net or meta['nets'][0]
    key = f'{net}/{signal}'
    if key not in data:
        raise KeyError(f'{path} has no {key!r}; it has '
                       f'{sorted(k for k in data if not k.endswith("/epochs"))}')
    quality_path = osp.join(work_dir, 'selection_quality.json')
    quality = json.load(open(quality_path)) if osp.isfile(quality_path) else None
    return data, net, key, quality


def plot(work_dir, out=None, net=None, epoch=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmnoisy.selection import normalise_losses
    data, net, key, quality = load(work_dir, net)
    epochs = list(data[f'{key}/epochs'])
    average = quality['average_last'] if quality else 1
    # selection_quality.json numbers epochs from 1 (as the log); the record from 0
    entries = {e['epoch'] - 1: e for e in quality['epochs']} if quality else {}
    if epoch is None:
        epoch = max(entries) if entries else epochs[-1]
    if epoch not in epochs:
        raise ValueError(f'epoch {epoch} is not in the record (it holds {epochs[0]}..{epochs[-1]})')
    upto = epochs.index(epoch) + 1
    x = normalise_losses(data[key][max(0, upto - average):upto]).mean(axis=0)

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bins = np.linspace(0, 1, 61)
    # densities over all samples, so the groups and the weighted GMM components share a scale
    scale = 1.0 / (len(x) * (bins[1] - bins[0]))
    if 'clean_labels' in data:
        noisy = data['clean_labels'] != data['noisy_labels']
        for name, mask in (('clean', ~noisy), ('noisy', noisy)):
            left.hist(x[mask], bins=bins, alpha=0.6, label=f'{name} ({int(mask.sum())})',
                      weights=np.full(int(mask.sum()), scale))
    else:
        left.hist(x, bins=bins, alpha=0.6, label='all samples', weights=np.full(len(x), scale))
    entry = entries.get(epoch, {}).get(net)
    if entry:
        grid = np.linspace(0, 1, 400)
        for name, m, v, w in zip(('clean component', 'noisy component'), entry['gmm']['means'],
                                 entry['gmm']['variances'], entry['gmm']['weights']):
            left.plot(grid, w * np.exp(-(grid - m)**2 / (2 * v)) / np.sqrt(2 * np.pi * v),
                      label=f'{name} (mean {m:.2f})')
    left.set_xlabel('normalised loss' + (f' (mean of last {average} epochs)' if average > 1
                                         else ''))
    left.set_ylabel('density')
    left.set_title(f'{net}, epoch {epoch + 1}')
    left.legend(fontsize=8, loc='upper right')

    if entries:
        xs = sorted(entries)
        for metric in ('trusted_fraction', 'precision', 'recall', 'f1'):
            ys = [entries[e][net].get(metric) for e in xs]
            if any(y is not None for y in ys):
                right.plot([e + 1 for e in xs], [np.nan if y is None else y for y in ys],
                           label=metric)
        right.set_xlabel('epoch')
        right.set_ylim(0, 1.02)
        right.set_title(f"GMM selection of {net} (trusted: clean prob > {quality['threshold']})")
        right.legend()
    else:
        right.axis('off')
        right.text(0.5, 0.5, 'no selection_quality.json\n(no GMMConfidenceHook)', ha='center')
    fig.tight_layout()
    out = out or osp.join(work_dir, 'sample_record.png')
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description='Plot the per-sample record of a run')
    parser.add_argument('work_dir')
    parser.add_argument('--out', help='PNG to write (default WORK_DIR/sample_record.png)')
    parser.add_argument('--net', help='network to plot (default: the first)')
    parser.add_argument('--epoch', type=int, help='0-based epoch (default: the last split)')
    args = parser.parse_args(argv)
    print(plot(args.work_dir, args.out, args.net, args.epoch))


if __name__ == '__main__':
    main()
