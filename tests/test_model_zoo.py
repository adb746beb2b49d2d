"""The model zoo index: looking models up, suggestions, filters (tools/misc/download.py)."""
import os.path as osp
import sys

import pytest

from mmnoisy.utils.model_zoo import ROOT, filter_models, find_model, load_model_index


@pytest.fixture(scope='module')
def models():
    return load_model_index()


def test_every_model_has_a_config_and_no_invented_weights(models):
    assert len(models) > 200
    for m in models:
        assert osp.isfile(osp.join(ROOT, m['config'])), m['name']
        # a Weights entry only where a checkpoint was published (none yet)
        assert m['weights'] is None or m['weights'].startswith('https://'), m['name']


def test_find_model_and_suggestions(models):
    m = find_model(models, 'ccl_resnet18_1xb128-500e_cifar100-sym80')
    assert m['collection'] == 'CCL' and m['config'].endswith('cifar100-sym80.py')
    assert m['metadata'] == {'Training Data': 'CIFAR-100', 'Label Noise': 'symmetric 80%',
                             'Architecture': 'ResNet-18 (CIFAR stem) x2', 'Epochs': 500,
                             'Batch Size': 128}
    with pytest.raises(KeyError, match=r'did you mean ccl_resnet18_1xb128-500e_cifar100-sym80'):
        find_model(models, 'ccl_resnet18_1xb128-500e_cifar100-sym8')
    with pytest.raises(KeyError, match='--list'):
        find_model(models, 'zzzz')


def test_filters(models):
    names = [m['name'] for m in filter_models(models, method='dividemix', dataset='cifar100')]
    assert names == [f'dividemix_preactresnet18_1xb64-300e_cifar100-sym{r}'
                     for r in (20, 50, 80, 90)]
    # CIFAR-10 is not CIFAR-100; noise matches a part of the text
    c10 = filter_models(models, method='DivideMix', dataset='CIFAR-10', noise='symmetric 8')
    assert [m['name'] for m in c10] == ['dividemix_preactresnet18_1xb64-300e_cifar10-sym80']
    assert filter_models(models, with_weights=True) == [m for m in models if m['weights']]
    assert filter_models(models, method='no such method') == []


def test_demo_models_carry_measured_results_and_are_found_by_method(models):
    """The digits demo is in the zoo with what we measured (not the paper's numbers), and
    ``--method`` finds a model by its Training Techniques as well as by its collection."""
    demo = find_model(models, 'dividemix_smallcnn_digits_sym40')
    assert demo['collection'] == 'Demo' and demo['paper_results'] is None
    metrics = demo['results'][0]['Metrics']
    assert 90 < metrics['Top 1 Accuracy'] <= 100
    ccl = [m['name'] for m in filter_models(models, method='CCL', dataset='digits')]
    assert ccl == ['ccl_smallcnn_digits_sym40']
    hmw = {m['name'] for m in filter_models(models, method='hmw', dataset='Digits')}
    assert hmw == {'hmw_ce_smallcnn_digits_sym40', 'unicon-hmw_smallcnn_digits_sym40'}
    # the collection still works, and a technique does not leak into other datasets
    assert len(filter_models(models, method='Demo')) == 13
    assert all(m['collection'] == 'CCL' for m in filter_models(models, method='CCL',
                                                                dataset='CIFAR-10'))
    dynacor = find_model(models, 'dynacor_smallcnn_digits_sym40')
    assert [r['Task'] for r in dynacor['results']] == ['Image Classification',
                                                      'Noisy Label Detection']


def test_the_list_has_a_header_aligned_columns_and_the_training_command(models):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
    from download import list_table
    chosen = [m for m in models if m['weights']][:1] + [m for m in models if not m['weights']][:2]
    lines = list_table(chosen)
    assert lines[0].split() == ['model', 'method', 'training', 'data', 'label', 'noise',
                                'weights']
    assert set(lines[1]) <= {'-', ' '}
    # every column starts where its header does
    starts = [lines[0].index(h) for h in ('method', 'training data', 'label noise', 'weights')]
    for line, m in zip(lines[2:], chosen):
        assert line.startswith(m['name'] + ' ')
        for start in starts:
            assert line[start - 2:start] == '  ' and line[start] != ' ', (line, start)
        want = 'checkpoint' if m['weights'] else f"none: python tools/train.py {m['config']}"
        assert line.endswith(want)
    assert list_table([]) == ['no model matches']
