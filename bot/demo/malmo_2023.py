"""Demo: the service administration of the City of Malmö (profile malmo_2023).

Written after seeds 000 and 001: the council (KF) sets goals for the mandate
period, the committee states its contribution (bidrag) to each, and the
administration describes its commitments (åtaganden) and activities; follow-up
is an interim report (delårsrapport) and an annual analysis (årsanalys). Since
2023 indicators are optional, so most commitments are followed up qualitatively;
every follow-up considers the human-rights perspectives. The departments are the
service administration's own (seed 000); the goals, units and people are invented.
"""

from __future__ import annotations

from goals.model import Direction, ExpectedResult, OrgKind, Role

from bot.demo.spec import (
    ActivityPlan,
    ActivitySpec,
    AreaSpec,
    DemoSpec,
    GoalSpec,
    IndicatorSpec,
    NodeSpec,
    PersonSpec,
    Scenario,
)

PETER = PersonSpec(51, "Peter Lundgren", "Förvaltningsdirektör, serviceförvaltningen")
AMIRA = PersonSpec(52, "Amira Saleh", "Samordnare målstyrning, serviceförvaltningen")
HELENA = PersonSpec(53, "Helena Persson", "Avdelningschef, Skolrestauranger")
JONAS = PersonSpec(54, "Jonas Möller", "Enhetschef, Skolrestaurangerna Väster")
SOFIA = PersonSpec(55, "Sofia Karlsson", "Enhetschef, Skolrestaurangerna Öster")
MATS = PersonSpec(56, "Mats Johansson", "Avdelningschef, Stadsfastigheter")
NADIA = PersonSpec(57, "Nadia Ali", "Enhetschef, Fastighetsförvaltning Centrum")
TOBIAS = PersonSpec(58, "Tobias Nyberg", "Enhetschef, Fastighetsdrift Norr")


def _result(text: str, direction: Direction = Direction.REACH, target: float | None = None):
    return ExpectedResult(id=0, text=text, direction=direction, target_value=target)


MANDATE = None  # council goals and contributions hold for the mandate period

MALMO_2023 = DemoSpec(
    key="malmo_2023",
    profile="malmo_2023",
    areas=(
        AreaSpec("MO-KLIMAT", "Miljö och klimat"),
        AreaSpec("MO-BARN", "Barn och unga"),
    ),
    cross_sectoral={
        "child_rights": "Eleverna har fått tycka till om maten i matråd; deras synpunkter har påverkat menyn.",
        "gender_equality": "Vi har sett över att arbetsmiljöåtgärderna når både kvinno- och mansdominerade yrken.",
        "equity": "Åtgärderna prioriteras i de skolor och lokaler där behoven är störst.",
        "anti_discrimination": "Inga avvikelser har rapporterats; specialkost erbjuds utifrån medicinska och religiösa skäl.",
    },
    root=NodeSpec(
        "MALMO",
        "Malmö stad",
        OrgKind.MUNICIPALITY,
        goals=(
            GoalSpec(
                "KF-MK-1",
                "Malmö ska vara en klimatneutral och resurseffektiv stad",
                "kf",
                area="MO-KLIMAT",
                valid=MANDATE,
            ),
            GoalSpec(
                "KF-BU-1",
                "Fler barn och unga ska ha goda förutsättningar för lärande och hälsa",
                "kf",
                area="MO-BARN",
                valid=MANDATE,
            ),
        ),
        children=(
            NodeSpec(
                "MAL-SRF",
                "Serviceförvaltningen",
                OrgKind.ADMINISTRATION,
                people=((PETER, Role.DIRECTOR), (AMIRA, Role.STAFF)),
                goals=(
                    GoalSpec(
                        "B-SRF-1",
                        "Servicenämnden bidrar till klimatmålet genom hållbara måltider och energieffektiva lokaler",
                        "bidrag",
                        parent="KF-MK-1",
                        area="MO-KLIMAT",
                        valid=MANDATE,
                        description=(
                            "Förflyttning: mindre matsvinn och klimatpåverkan från skolmåltiderna och "
                            "lägre energianvändning i stadens fastigheter under mandatperioden."
                        ),
                    ),
                    GoalSpec(
                        "B-SRF-2",
                        "Servicenämnden bidrar till barns och ungas hälsa genom goda och näringsriktiga skolmåltider",
                        "bidrag",
                        parent="KF-BU-1",
                        area="MO-BARN",
                        valid=MANDATE,
                    ),
                ),
                children=(
                    NodeSpec(
                        "MAL-SKR",
                        "Skolrestauranger",
                        OrgKind.DEPARTMENT,
                        people=((HELENA, Role.DEPARTMENT_HEAD),),
                        children=(
                            NodeSpec(
                                "MAL-SKR-V",
                                "Skolrestaurangerna Väster",
                                OrgKind.UNIT,
                                people=((JONAS, Role.UNIT_MANAGER),),
                                goals=(
                                    GoalSpec(
                                        "A-SKRV-1",
                                        "Skolrestaurangerna Väster minskar matsvinnet och serverar mer växtbaserad mat",
                                        "forvaltning",
                                        parent="B-SRF-1",
                                        area="MO-KLIMAT",
                                        results=(_result("Tallrikssvinnet minskar jämfört med föregående år", Direction.DECREASE),),
                                        indicators=(
                                            IndicatorSpec(
                                                "I-SKRV-1", "Tallrikssvinn per portion", "gram", 20, 31, 18,
                                                direction=Direction.DECREASE,
                                            ),
                                        ),
                                        activities=(ActivitySpec("Svinnvecka med eleverna varje termin", ActivityPlan.DONE),),
                                    ),
                                    GoalSpec(
                                        "A-SKRV-2",
                                        "Eleverna i Väster tycker om skolmaten och äter lunch varje dag",
                                        "forvaltning",
                                        parent="B-SRF-2",
                                        area="MO-BARN",
                                        results=(_result("Matråd på alla skolor och elevernas synpunkter syns i menyn"),),
                                        activities=(ActivitySpec("Matråd med elever två gånger per termin"),),
                                    ),
                                ),
                            ),
                            NodeSpec(
                                "MAL-SKR-O",
                                "Skolrestaurangerna Öster",
                                OrgKind.UNIT,
                                people=((SOFIA, Role.UNIT_MANAGER),),
                                goals=(
                                    GoalSpec(
                                        "A-SKRO-1",
                                        "Skolrestaurangerna Öster minskar måltidernas klimatpåverkan",
                                        "forvaltning",
                                        parent="B-SRF-1",
                                        area="MO-KLIMAT",
                                        results=(_result("Klimatpåverkan per portion minskar under mandatperioden", Direction.DECREASE),),
                                        activities=(ActivitySpec("Ny meny med två vegetariska dagar i veckan"),),
                                        scenario=Scenario.FORECAST_PARTLY,
                                        analysis=(
                                            "Menyn med två vegetariska dagar har införts på fyra av sju skolor. På de "
                                            "övriga har köken inte haft utrustning eller personal för att laga mer från "
                                            "grunden, och eleverna äter mindre de dagarna enligt våra mätningar."
                                        ),
                                        actions="Utbildning för kockarna och ny utrustning i tre kök under våren.",
                                    ),
                                ),
                            ),
                        ),
                    ),
                    NodeSpec(
                        "MAL-SFT",
                        "Stadsfastigheter",
                        OrgKind.DEPARTMENT,
                        people=((MATS, Role.DEPARTMENT_HEAD),),
                        children=(
                            NodeSpec(
                                "MAL-SFT-C",
                                "Fastighetsförvaltning Centrum",
                                OrgKind.UNIT,
                                people=((NADIA, Role.UNIT_MANAGER),),
                                goals=(
                                    GoalSpec(
                                        "A-SFTC-1",
                                        "Fastighetsförvaltning Centrum minskar energianvändningen i sina skollokaler",
                                        "forvaltning",
                                        parent="B-SRF-1",
                                        area="MO-KLIMAT",
                                        results=(_result("Energianvändningen minskar med 10 procent under mandatperioden", Direction.DECREASE, 10),),
                                        activities=(ActivitySpec("Injustering av ventilation i fem skolor"),),
                                        scenario=Scenario.NOT_REPORTED,
                                    ),
                                ),
                            ),
                            NodeSpec(
                                "MAL-SFT-N",
                                "Fastighetsdrift Norr",
                                OrgKind.UNIT,
                                people=((TOBIAS, Role.UNIT_MANAGER),),
                                goals=(
                                    GoalSpec(
                                        "A-SFTN-1",
                                        "Fastighetsdrift Norr byter till fossilfri uppvärmning i alla egna byggnader",
                                        "forvaltning",
                                        parent="B-SRF-1",
                                        area="MO-KLIMAT",
                                        results=(_result("Ingen fastighet värms med fossila bränslen vid mandatperiodens slut"),),
                                        activities=(ActivitySpec("Konvertera de två sista oljepannorna"),),
                                        scenario=Scenario.REPORT_MISSING,
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
)
