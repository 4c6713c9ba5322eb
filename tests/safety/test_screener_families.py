"""Families of expression the screener must read, in English and Spanish (sentences written for
this test, not taken from the labelled sets), and the everyday phrases it must not alarm on."""

from __future__ import annotations

import pytest

from bot.safety.screener import Level, screen

E, C, R, N = Level.EMERGENCY, Level.CRISIS, Level.CONCERN, Level.NONE


def _check(text: str, level: Level, reason: str | None) -> None:
    got = screen(text)
    assert got.level == level, f"{text!r}: {got}"
    assert reason is None or reason in got.reasons, f"{text!r}: {got}"


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        # abuse against the patient, a minor disclosing it, threats over a debt
        ("my stepmum slaps me when she's been drinking", C, "abuse"),
        ("i'm 13 and my uncle makes me keep secrets about what he does", C, "abuse"),
        ("the lads i owe said they'll break my legs by friday", C, "abuse"),
        ("mi marido me pega cuando llega borracho", C, "abuse"),
        ("tengo 15 y mi padrastro abusa de mí", C, "abuse"),
        ("le debo plata al transa y dice que si no le pago me mata", C, "abuse"),
        # someone else at risk
        ("my cousin keeps telling me he wants to end his life", C, "third_party"),
        ("my flatmate collapsed and he isn't breathing", E, "third_party"),
        ("mi prima dice que se quiere matar", C, "third_party"),
        # self-harm in every tense
        ("cut myself again last night", C, "self_harm"),
        ("i've been burning my arms with a lighter", C, "self_harm"),
        ("me volví a cortar anoche", C, "self_harm"),
        # overdose already taken, means in hand, medical danger
        ("swallowed a whole box of sleeping tablets about an hour ago", E, "overdose"),
        ("me tomé todas las pastillas de mi madre hace un rato", E, "overdose"),
        ("the razor is against my wrist right now", E, "means_at_hand"),
        ("tengo la cuchilla en la mano ahora mismo", E, "means_at_hand"),
        ("he's coughing up blood and his lips look grey", E, None),
        ("mi novio está convulsionando en el suelo", E, "seizure"),
        # ketamine bladder signs: advice, not an ambulance; easing is nothing to act on
        ("there's blood when i pee and my bladder is agony", R, "ketamine_medical"),
        ("me arde muchísimo al orinar", R, "ketamine_medical"),
        ("my bladder pain is much better this week", N, None),
        # farewells, finality, plans and timing
        ("i've written letters for my kids to open after i'm gone", C, None),
        ("you won't need to worry about me after friday", C, "finality"),
        ("ya no van a tener que preocuparse por mí", C, "finality"),
        ("not today but soon", C, "plan_timing"),
        ("esta semana no, pero pronto", C, None),
        # slang, euphemism, emoji
        ("honestly might just unalive myself", C, "suicidal_ideation"),
        ("kms fr", C, None),
        ("sewerslide is looking good rn", C, None),
        ("want to go to sleep forever", C, None),
        ("me quiero ir a dormir para siempre", C, None),
        ("ready to 🪦 tonight", C, "emoji_risk"),
        ("🔪 in my hand rn", E, "means_at_hand"),
        # look-alike letters and typos
        ("i want to kіll myself", C, None),  # Cyrillic і
        ("i feel sυicidal", C, None),  # Greek υ
        ("i overdossed on my meds", E, "overdose"),
        ("me quiero suisidar", C, None),
        ("ya no quiero bivir", C, None),
        # negation scoped to its clause
        ("no, i want to die", C, None),
        ("not this week, but i will kill myself", C, None),
        ("i'm not going to kill myself", R, "negated"),
        ("no me voy a matar", R, "negated"),
        # more ways to say it, both languages
        ("i don't think i'll make it through the night", C, None),
        ("what's the least painful way to go", C, None),
        ("someone is threatening to post my nudes unless i pay", C, "abuse"),
        ("he said he'd kill me if i told anyone", C, "abuse"),
        ("i've just necked a bottle of vodka and all my diazepam", E, "overdose"),
        ("i'm in the car with the engine running and a hose from the exhaust", E, None),
        ("esta noche me mato", C, None),
        ("ando pensando en colgarme", C, None),
        ("me acabo de tomar todo el frasco de clonazepam", E, "overdose"),
        ("mi mejor amiga me escribió que se va a tirar del balcón", C, "third_party"),
        ("el novio de mi mamá se mete a mi cuarto en la noche", C, "abuse"),
        ("si mañana no contesto ya saben por qué", C, None),
        ("i've been really struggling the past few days", R, None),
        ("llevo días muy deprimido", R, None),
    ],
)
def test_families(text: str, level: Level, reason: str | None) -> None:
    _check(text, level, reason)


@pytest.mark.parametrize(
    "text",
    [
        "this commute is killing me",
        "i nearly died laughing at that",
        "my sister isn't answering my texts",
        "he won't answer his phone, he's probably at the gym",
        "binged the whole series, total overdose of telly",
        "watched a documentary about suicide prevention, really moving",
        "the news tonight was about a man who overdosed in prison",
        "she hugged me so tight i couldn't breathe haha",
        "that view from the top of the cliff was unreal",
        "i used to cut myself years ago, two years clean now",
        "i overdosed in 2016 and it changed my life for the better",
        "took my meds this morning like the nurse said",
        "the bridge into town is closed again",
        "me muero de ganas de verte",
        "mi hermana no me contesta los mensajes",
        "la peli era sobre un chico que se suicida",
        "me tomé un ibuprofeno para el dolor de cabeza",
        "he shot himself in the foot with that comment",
        "i need to cut down on coffee",
        "i am on the bridge team at work",
        "ugh this homework is suicide",
        "mi mamá me va a matar si llego tarde",
        "me duele la rodilla",
        "me muero de sueño",
        "mataría por unas vacaciones",
        "i'm proud of myself for saying no",
    ],
)
def test_no_false_emergency_or_crisis(text: str) -> None:
    got = screen(text)
    assert got.level <= Level.CONCERN, f"{text!r}: {got}"


def test_an_emergency_rule_needs_its_parts_in_one_clause() -> None:
    far_apart = (
        "had a couple of drinks at the wedding last month. anyway, totally different thing, "
        "went to the physio today because my knee is bad and i can't move it much."
    )
    assert screen(far_apart).level < Level.EMERGENCY
    assert screen("had loads of ket and now i can't move my legs").level == Level.EMERGENCY


def test_idioms_are_masked_only_where_they_stand() -> None:
    assert screen("this job is killing me").level == Level.NONE
    assert screen("this job is killing me and i want to kill myself").level == Level.CRISIS


def test_a_joke_lowers_harm_talk_but_never_an_emergency() -> None:
    assert screen("gonna kill my brother for eating my chips lol").level == Level.CONCERN
    assert screen("took 40 pills lol").level == Level.EMERGENCY
