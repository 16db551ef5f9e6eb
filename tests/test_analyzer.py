from assistant.text.analyzer import analyze, split_compound, tokenize


def test_compound_matches_its_head_and_whole():
    long_terms = set(analyze("kompetensförsörjningsarbetet"))
    assert set(analyze("kompetensförsörjning")) <= long_terms


def test_compound_split_into_known_parts():
    assert split_compound("lastbilsförare") == ("last", "bil", "förare")
    assert split_compound("arbetsgivarenkäten") == ("arbetsgivar", "enkäten")


def test_plain_words_are_not_split():
    assert split_compound("kommunen") == ()
    assert split_compound("västerbotten") == ()


def test_stop_words_removed_and_case_folded():
    assert tokenize("Vilka yrken saknas i Åsele?") == ["yrken", "saknas", "åsele"]


def test_inflections_share_a_stem():
    assert analyze("undersköterskor")[0] == analyze("undersköterska")[0]
    assert analyze("handlingsplanen")[0] == analyze("handlingsplaner")[0]
