"""What a person reads after detection: a ranked CSV, a self-contained HTML page, a summary.

* :func:`suspects_table`: one row per image, most suspect first: file, given label, the
  network's suggestion, the primary detector's score and flag, one score column per detector;
* :func:`write_suspects_csv`, :func:`write_report_html` (thumbnails embedded as PNG data, the
  per-class counts, the score histogram with the flag threshold drawn), :func:`score_figure`.

Inputs are arrays and file paths; nothing here knows about runners or datasets.
"""
import base64
import csv
import html
import io
import os
import os.path as osp

import numpy as np


def flag_threshold(scores, flags):
    """The lowest score among the flagged rows (the line a histogram draws), or None."""
    scores, flags = np.asarray(scores, float), np.asarray(flags, bool)
    return float(scores[flags].min()) if flags.any() else None


def suspects_table(filenames, labels, suggested, results, classes, primary=None):
    """Rows (dicts) ranked by the primary detector's score, highest (most suspect) first;
    equal scores by the mean rank all detectors give the row, then in dataset order. Columns: filename, given_label, suggested_label, score and
    flag (the primary detector's), then ``{detector}_score`` and ``{detector}_flag`` of each.

    Args:
        filenames: (N,) file of each image.
        labels, suggested: (N,) given label and the network's predicted class.
        results: {detector: dict(scores (N,), flags (N,))}, as ``run_detectors`` returns.
        classes: class names by index.
        primary: the detector whose score and flag rank the table (default: the first).
    """
    primary = primary or next(iter(results))
    scores = np.asarray(results[primary]['scores'], float)
    # equal primary scores (DynaCor's clusters give many) are ordered by the detectors'
    # consensus: the mean over all of them of each row's rank (ties share their mean rank);
    # then by index
    from scipy.stats import rankdata
    consensus = np.mean([rankdata(np.asarray(r['scores'], float)) for r in results.values()],
                        axis=0)
    order = np.lexsort((-consensus, -scores))
    rows = []
    for i in order:
        row = dict(filename=filenames[i], given_label=classes[int(labels[i])],
                   suggested_label=classes[int(suggested[i])], score=float(scores[i]),
                   flag=int(bool(results[primary]['flags'][i])))
        for m, res in results.items():
            row[f'{m}_score'] = float(res['scores'][i])
            row[f'{m}_flag'] = int(bool(res['flags'][i]))
        rows.append(row)
    return rows


def write_suspects_csv(path, rows):
    """``rows`` (from :func:`suspects_table`) as CSV, written atomically."""
    tmp = path + '.tmp'
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f'{v:.6g}' if isinstance(v, float) else v
                             for k, v in row.items()})
    os.replace(tmp, path)
    return path


def score_figure(results, title=None, is_noisy=None):
    """A matplotlib figure: each detector's score histogram (clean / mislabelled when the
    truth is known, else not flagged / flagged) with its flag threshold drawn."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.4), squeeze=False)
    for ax, (m, res) in zip(axes[0], results.items()):
        scores, flags = np.asarray(res['scores'], float), np.asarray(res['flags'], bool)
        bins = np.linspace(scores.min(), scores.max() + 1e-12, 40)
        groups = ([(~is_noisy, 'clean'), (is_noisy, 'mislabelled')] if is_noisy is not None
                  else [(~flags, 'not flagged'), (flags, 'flagged')])
        for mask, name in groups:
            ax.hist(scores[mask], bins=bins, alpha=0.6, label=f'{name} ({int(mask.sum())})')
        cut = flag_threshold(scores, flags)
        if cut is not None:
            ax.axvline(cut, color='k', linestyle='--', linewidth=1,
                       label=f'flag threshold {cut:.3g}')
        f1 = res.get('metrics', {}).get('f1')
        ax.set_title(m + (f'  F1 {f1:.3f}' if f1 is not None else ''))
        ax.set_xlabel('score (higher = more likely mislabelled)')
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_figure(fig, path):
    import matplotlib.pyplot as plt
    fig.savefig(path + '.tmp.png', dpi=90)
    plt.close(fig)
    os.replace(path + '.tmp.png', path)
    return path


def _png_data(fig_or_image):
    buf = io.BytesIO()
    if hasattr(fig_or_image, 'savefig'):
        import matplotlib.pyplot as plt
        fig_or_image.savefig(buf, format='png', dpi=80)
        plt.close(fig_or_image)
    else:
        fig_or_image.save(buf, format='PNG')
    return 'data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode()


def thumbnail(path, size=96):
    """The image at ``path`` as a PNG data URL no larger than size x size (None when it
    cannot be read)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            im = im.convert('RGB')
            scale = size / max(im.size)
            if scale > 1:  # small images: enlarged without smoothing, pixels stay visible
                im = im.resize((max(1, round(im.size[0] * scale)),
                                max(1, round(im.size[1] * scale))), Image.NEAREST)
            else:
                im.thumbnail((size, size))
            return _png_data(im)
    except Exception:  # a file that vanished or broke since the scan: no thumbnail
        return None


def write_report_html(path, rows, *, root, classes, class_counts, flagged_counts, results,
                      primary, title, notes=(), top=60):
    """A self-contained HTML page: the ``top`` most suspect images (thumbnails embedded) with
    given and suggested label and score, the per-class counts, the score histogram of every
    detector with its threshold, and ``notes`` (lines, e.g. skipped files)."""
    esc = html.escape
    cards = []
    for rank, row in enumerate(rows[:top], 1):
        src = thumbnail(osp.join(root, row['filename']))
        img = f'<img src="{src}" alt="">' if src else '<div class="missing">unreadable</div>'
        cls = ' flagged' if row['flag'] else ''
        cards.append(
            f'<div class="card{cls}">{img}<div class="meta"><b>#{rank}</b> '
            f'score {row["score"]:.3g}{" &#9873;" if row["flag"] else ""}<br>'
            f'given <span class="given">{esc(row["given_label"])}</span><br>'
            f'suggested <span class="suggested">{esc(row["suggested_label"])}</span><br>'
            f'<span class="file" title="{esc(row["filename"])}">{esc(row["filename"])}</span>'
            '</div></div>')
    class_rows = ''.join(
        f'<tr><td>{esc(c)}</td><td>{int(n)}</td><td>{int(k)}</td>'
        f'<td>{(100 * k / n if n else 0):.1f}%</td></tr>'
        for c, n, k in zip(classes, class_counts, flagged_counts))
    hist = _png_data(score_figure(results))
    flagged = sum(r['flag'] for r in rows)
    note_html = ''.join(f'<li>{esc(str(n))}</li>' for n in notes)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.15em; margin-top: 1.5em; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 10px; }}
.card {{ width: 150px; border: 1px solid #ccc; border-radius: 4px; padding: 6px;
         font-size: 12px; background: #fafafa; }}
.card.flagged {{ border-color: #c33; background: #fff3f3; }}
.card img {{ width: 96px; height: 96px; object-fit: contain; display: block;
             margin: 0 auto 4px; image-rendering: pixelated; background: #fff; }}
.missing {{ width: 96px; height: 96px; margin: 0 auto; color: #999; text-align: center; }}
.given {{ color: #a00; }} .suggested {{ color: #060; }}
.file {{ color: #777; display: block; overflow: hidden; text-overflow: ellipsis;
         white-space: nowrap; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{len(rows)} images, {len(classes)} classes; {flagged} flagged by <b>{esc(primary)}</b>
(&#9873;). Ranked by {esc(primary)}'s score, highest (most likely mislabelled) first.
The full list: <code>suspects.csv</code>.</p>
<h2>The {min(top, len(rows))} most suspect images</h2>
<div class="grid">{''.join(cards)}</div>
<h2>Per class</h2>
<table><tr><th>class</th><th>images</th><th>flagged</th><th>share flagged</th></tr>
{class_rows}</table>
<h2>Scores</h2>
<p>Each detector's score histogram; the dashed line is its flag threshold (the lowest score
it flags).</p>
<img src="{hist}" alt="score histograms" style="max-width: 100%;">
{f'<h2>Notes</h2><ul>{note_html}</ul>' if note_html else ''}
</body></html>
"""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(page)
    os.replace(tmp, path)
    return path


__all__ = ['flag_threshold', 'suspects_table', 'write_suspects_csv', 'score_figure',
           'save_figure', 'thumbnail', 'write_report_html']
