# RoLR + NegScale on the digits demo. The digits have no semantic class hierarchy; this tree groups
# them by the strokes they are written with (an illustration of bringing your own taxonomy in a
# config, three levels below the root so the paper's eta_min = 3 / eta_max = 5 apply): related =
# same subgroup, unrelated = curved vs straight digits.
_base_ = ['./rolr_smallcnn_digits_sym40.py']
digit_strokes = dict(
    curved=dict(closed_loops=['0', '6', '8', '9'], open_curves=['2', '3', '5']),
    straight=dict(straight_lines=['1', '4', '7']),
)
model = dict(aux_losses=[dict(type='NegScale',
                              taxonomy=dict(source=digit_strokes,
                                            classes=[str(i) for i in range(10)]),
                              eta_min=3, eta_max=5)])
