"""Class taxonomies shipped with mmnoisy, written for NegScale's pLCA distance.

Each tree is a nested dict (inner node -> children; a list holds leaves) under one root, and
``*_CLASSES`` gives the dataset's label order. They were written for this package from the
datasets' class lists (and, for CIFAR-100, its own fine -> coarse assignment); they are
semantic groupings, not WordNet. Depths and the pLCA values they produce are listed in
``configs/negscale/README.md``.
"""
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, IMAGENET_CATEGORIES

# CIFAR-10, three levels below the root (the issue's and REFERENCE section 8's grouping):
# pLCA 2 within a subgroup (automobile/truck, cat/deer/dog/horse), 4 across subgroups of one
# kingdom, 6 between vehicles and animals.
CIFAR10_TREE = {
    'vehicle': {
        'air': ['airplane'],
        'land': ['automobile', 'truck'],
        'water': ['ship'],
    },
    'animal': {
        'birds': ['bird'],
        'mammals': ['cat', 'deer', 'dog', 'horse'],
        'amphibians': ['frog'],
    },
}
CIFAR10_CLASSES = tuple(CIFAR10_CATEGORIES)

# CIFAR-100's coarse label names, in the order of its coarse labels (0..19)
CIFAR100_COARSE = (
    'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables',
    'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores',
    'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
    'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people',
    'reptiles', 'small_mammals', 'trees', 'vehicles_1', 'vehicles_2')

# CIFAR-100's 20 superclasses with their fine classes (the dataset's coarse labels; the
# dataset files are the authority: ``ClassTaxonomy.cifar100(data_root=...)`` reads them).
CIFAR100_SUPERCLASSES = {
    'aquatic_mammals': ['beaver', 'dolphin', 'otter', 'seal', 'whale'],
    'fish': ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout'],
    'flowers': ['orchid', 'poppy', 'rose', 'sunflower', 'tulip'],
    'food_containers': ['bottle', 'bowl', 'can', 'cup', 'plate'],
    'fruit_and_vegetables': ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper'],
    'household_electrical_devices': ['clock', 'keyboard', 'lamp', 'telephone', 'television'],
    'household_furniture': ['bed', 'chair', 'couch', 'table', 'wardrobe'],
    'insects': ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach'],
    'large_carnivores': ['bear', 'leopard', 'lion', 'tiger', 'wolf'],
    'large_man-made_outdoor_things': ['bridge', 'castle', 'house', 'road', 'skyscraper'],
    'large_natural_outdoor_scenes': ['cloud', 'forest', 'mountain', 'plain', 'sea'],
    'large_omnivores_and_herbivores': ['camel', 'cattle', 'chimpanzee', 'elephant',
                                       'kangaroo'],
    'medium_mammals': ['fox', 'porcupine', 'possum', 'raccoon', 'skunk'],
    'non-insect_invertebrates': ['crab', 'lobster', 'snail', 'spider', 'worm'],
    'people': ['baby', 'boy', 'girl', 'man', 'woman'],
    'reptiles': ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle'],
    'small_mammals': ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel'],
    'trees': ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree'],
    'vehicles_1': ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train'],
    'vehicles_2': ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor'],
}

# The optional level above the superclasses (our grouping): with it the tree has three
# levels below the root, as the CIFAR-10 one, and eta_min = 3 / eta_max = 5 select
# same-superclass pairs as related and cross-group pairs as unrelated.
CIFAR100_GROUPS = {
    'living': ['aquatic_mammals', 'fish', 'insects', 'large_carnivores',
               'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates',
               'people', 'reptiles', 'small_mammals'],
    'plants': ['flowers', 'fruit_and_vegetables', 'trees'],
    'artefacts': ['food_containers', 'household_electrical_devices', 'household_furniture',
                  'large_man-made_outdoor_things', 'vehicles_1', 'vehicles_2'],
    'scenery': ['large_natural_outdoor_scenes'],
}

# Animal-10N (label order of the dataset): order -> family -> class.
ANIMAL10N_TREE = {
    'carnivores': {
        'felines': ['cat', 'lynx', 'cheetah', 'jaguar'],
        'canines': ['wolf', 'coyote'],
    },
    'primates': {
        'great_apes': ['chimpanzee', 'orangutan'],
    },
    'rodents': {
        'small_rodents': ['hamster', 'guinea pig'],
    },
}
ANIMAL10N_CLASSES = ('cat', 'lynx', 'wolf', 'coyote', 'cheetah', 'jaguar', 'chimpanzee',
                     'orangutan', 'hamster', 'guinea pig')

# Fashion-MNIST (label order of the dataset): kind of article -> group -> class; pLCA 2 within
# tops / footwear, 4 across groups of one kind, 6 between garments and accessories.
FASHION_MNIST_TREE = {
    'garments': {
        'tops': ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'],
        'bottoms': ['Trouser'],
        'one_piece': ['Dress'],
    },
    'accessories': {
        'footwear': ['Sandal', 'Sneaker', 'Ankle boot'],
        'bags': ['Bag'],
    },
}
FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
                         'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

# mini-WebVision = the first 50 ImageNet classes (their first WordNet lemma as the name):
# vertebrate class -> group -> class.
WEBVISION_MINI_CLASSES = tuple(name.split(',')[0] for name in IMAGENET_CATEGORIES[:50])
_W = WEBVISION_MINI_CLASSES
WEBVISION_MINI_TREE = {
    'fish': {
        'bony_fish': list(_W[0:2]),                    # tench, goldfish
        'cartilaginous_fish': list(_W[2:7]),           # sharks and rays
    },
    'birds': {
        'fowl_and_ratites': list(_W[7:10]),            # cock, hen, ostrich
        'songbirds': list(_W[10:21]),                  # brambling .. water ouzel
        'birds_of_prey': list(_W[21:25]),              # kite, bald eagle, vulture, owl
    },
    'amphibians': {
        'salamanders': list(_W[25:30]),
        'frogs': list(_W[30:33]),
    },
    'reptiles': {
        'turtles': list(_W[33:38]),
        'lizards': list(_W[38:49]),
        'crocodilians': list(_W[49:50]),
    },
}
