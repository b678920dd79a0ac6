"""Pure rules shared by the imports, the generator and the screens."""

import pytest

from clausier.rules.hours import insertion_hours_h100
from clausier.rules.names import ascii_fold, name_key


def test_insertion_hours_worked_example_of_design_3_1():
    # €1,000,000 building lot × 50 % labour × 5 % ÷ €30/h = 833.33 → 833 h
    assert insertion_hours_h100(100_000_000, 5_000, 500, 3_000) == 83_300


def test_insertion_hours_round_half_up_to_the_whole_hour():
    # 2,50 € at 100 % and 100 % ÷ 1 €/h = 2.5 h → 3 h; 2,49 € → 2.49 h → 2 h
    assert insertion_hours_h100(250, 10_000, 10_000, 100) == 300
    assert insertion_hours_h100(249, 10_000, 10_000, 100) == 200


def test_insertion_hours_refuses_impossible_parameters():
    with pytest.raises(ValueError, match="coût horaire"):
        insertion_hours_h100(100, 5_000, 500, 0)
    with pytest.raises(ValueError):
        insertion_hours_h100(100, 12_000, 500, 3_000)


def test_name_key_ignores_accents_case_and_spacing():
    assert name_key("DUPONT-Lefèvre ", " Hélène") == "dupont-lefevre helene"
    assert name_key("Cœur", "Noël") == name_key("COEUR", "noel")
    assert ascii_fold("Françoise Ørsted") == "Francoise Orsted"
