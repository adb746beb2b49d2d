import json
import os

import numpy as np
import pytest
import torch

from mmnoisy.noise import NoiseConfigError, apply_noise, save_noise

LABELS = np.arange(100) % 10


def test_saved_noise_round_trips_exactly(tmp_path):
    res = apply_noise(dict(type='symmetric', rate=0.5, seed=4), LABELS, 10)
    path = str(tmp_path / 'run' / 'noisy_labels.npz')
    save_noise(res, path)
    again = apply_noise(dict(type='file', path=path), LABELS, 10)
    assert np.array_equal(again.noisy_labels, res.noisy_labels)
    assert again.noise_rate == res.noise_rate
    summary = json.loads(open(path[:-4] + '.json').read())
    assert summary['settings'] == {'type': 'symmetric', 'rate': 0.5, 'seed': 4}
    assert summary['noise_rate'] == pytest.approx(0.5)
    assert np.allclose(np.load(path)['transition_matrix'], res.transition_matrix)
    assert not [f for f in os.listdir(tmp_path / 'run') if '.tmp' in f]


def test_saved_noise_refuses_other_data(tmp_path):
    res = apply_noise(dict(type='symmetric', rate=0.5, seed=4), LABELS, 10)
    path = str(tmp_path / 'noisy_labels.npz')
    save_noise(res, path)
    with pytest.raises(NoiseConfigError, match='made for other data'):
        apply_noise(dict(type='file', path=path), np.roll(LABELS, 1), 10)


def test_npy_and_csv_files(tmp_path):
    noisy = (LABELS + 1) % 10
    np.save(tmp_path / 'l.npy', noisy)
    assert np.array_equal(
        apply_noise(dict(type='file', path=str(tmp_path / 'l.npy')), LABELS, 10).noisy_labels,
        noisy)
    (tmp_path / 'plain.csv').write_text('\n'.join(map(str, noisy)) + '\n')
    assert np.array_equal(apply_noise(dict(type='file', path=str(tmp_path / 'plain.csv')),
                                      LABELS, 10).noisy_labels, noisy)
    # header with an index column in shuffled order
    order = np.random.default_rng(0).permutation(100)
    rows = ['sample_idx,noisy_label'] + [f'{i},{noisy[i]}' for i in order]
    (tmp_path / 'idx.csv').write_text('\n'.join(rows))
    res = apply_noise(dict(type='file', path=str(tmp_path / 'idx.csv')), LABELS, 10)
    assert np.array_equal(res.noisy_labels, noisy)
    assert res.noise_rate == 1.0


def test_cifar_n_file_selected_by_key(tmp_path):
    aggre = LABELS.copy()
    aggre[:9] = (aggre[:9] + 1) % 10
    worst = (LABELS + 3) % 10
    path = str(tmp_path / 'CIFAR-10_human.pt')
    torch.save({'clean_label': LABELS.copy(), 'aggre_label': aggre, 'worse_label': worst,
                'random_label1': LABELS.copy()}, path)
    res = apply_noise(dict(type='cifarn', path=path, label='aggre'), LABELS, 10)
    assert np.array_equal(res.noisy_labels, aggre) and res.noise_rate == pytest.approx(0.09)
    res = apply_noise(dict(type='cifarn', path=path, label='worst'), LABELS, 10)
    assert np.array_equal(res.noisy_labels, worst)
    with pytest.raises(NoiseConfigError, match="no label set 'rand2'"):
        apply_noise(dict(type='cifarn', path=path, label='rand2'), LABELS, 10)
    with pytest.raises(NoiseConfigError, match='made for other data'):
        apply_noise(dict(type='cifarn', path=path, label='aggre'), np.roll(LABELS, 1), 10)
    with pytest.raises(NoiseConfigError, match='CIFAR-N label file not found'):
        apply_noise(dict(type='cifarn', path=str(tmp_path / 'x.pt')), LABELS, 10)


def test_bad_label_files(tmp_path):
    np.save(tmp_path / 'short.npy', LABELS[:50])
    with pytest.raises(NoiseConfigError, match='has 50 labels but the dataset has 100'):
        apply_noise(dict(type='file', path=str(tmp_path / 'short.npy')), LABELS, 10)
    bad = LABELS.copy()
    bad[7] = 12
    np.save(tmp_path / 'bad.npy', bad)
    with pytest.raises(NoiseConfigError, match=r'\[0, 10\).*index 7: 12'):
        apply_noise(dict(type='file', path=str(tmp_path / 'bad.npy')), LABELS, 10)
    np.save(tmp_path / 'neg.npy', -LABELS - 1)
    with pytest.raises(NoiseConfigError, match=r'\[0, 10\)'):
        apply_noise(dict(type='file', path=str(tmp_path / 'neg.npy')), LABELS, 10)
    with pytest.raises(NoiseConfigError, match='label file not found'):
        apply_noise(dict(type='file', path=str(tmp_path / 'none.npy')), LABELS, 10)
    (tmp_path / 'l.json').write_text('[]')
    with pytest.raises(NoiseConfigError, match='unsupported extension'):
        apply_noise(dict(type='file', path=str(tmp_path / 'l.json')), LABELS, 10)
    np.save(tmp_path / 'float.npy', LABELS + 0.5)
    with pytest.raises(NoiseConfigError, match='must be integers'):
        apply_noise(dict(type='file', path=str(tmp_path / 'float.npy')), LABELS, 10)


def test_npz_clean_labels_are_checked_under_either_key(tmp_path):
    """Our key (clean_labels) and CIFAR-N's spelling (clean_label) are both checked; a file
    with neither says that nothing was checked."""
    noisy = (LABELS + 1) % 10
    for key in ('clean_labels', 'clean_label'):
        path = str(tmp_path / f'{key}.npz')
        np.savez(path, noisy_labels=noisy, **{key: np.roll(LABELS, 1)})
        with pytest.raises(NoiseConfigError, match=f"clean labels \\(key '{key}'\\) do not"):
            apply_noise(dict(type='file', path=path), LABELS, 10)
        np.savez(path, noisy_labels=noisy, **{key: LABELS})
        assert np.array_equal(apply_noise(dict(type='file', path=path), LABELS, 10).noisy_labels,
                              noisy)
    path = str(tmp_path / 'none.npz')
    np.savez(path, noisy_labels=noisy)
    with pytest.warns(UserWarning, match='no clean labels .* not checked'):
        apply_noise(dict(type='file', path=path), LABELS, 10)


def numpy1_pickle(obj, path):
    """``torch.save`` in the legacy format with numpy's module paths as numpy 1.x wrote them
    (``numpy.core.multiarray``), as in the official CIFAR-10N / CIFAR-100N files."""
    import io
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    data = buf.getvalue()
    assert b'numpy._core.multiarray' in data
    with open(path, 'wb') as f:
        f.write(data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray'))


def test_cifar_n_file_pickled_under_numpy_1(tmp_path):
    aggre = LABELS.copy()
    aggre[:5] = (aggre[:5] + 1) % 10
    path = str(tmp_path / 'CIFAR-10_human.pt')
    numpy1_pickle({'clean_label': LABELS.copy(), 'aggre_label': aggre,
                   'noise_fraction': np.float64(0.05)}, path)
    res = apply_noise(dict(type='cifarn', path=path, label='aggre'), LABELS, 10)
    assert np.array_equal(res.noisy_labels, aggre) and res.noise_rate == pytest.approx(0.05)
