"""Demo: a district administration in the City of Stockholm (profile stockholm_ils).

Written the way seed 002 ("Mål- upprättande och uppföljning") asks goals to be
written: a goal describes a desired state ("önskat läge"), expected results are
measurable and name a target value or baseline, indicators are split by gender
where possible, activities are short with a start and an end. The district, its
units and people are invented; the two Kolada ids are the national user-survey
key figures for elderly care ("Vad tycker de äldre om äldreomsorgen").

Who plays what in the current period (bot/demo/plan.py makes it so):
- Förskolan Solrosen (Anna Lindqvist, person 01): three goals behind, each for a
  different reason — an indicator off target, an overdue activity, a forecast of
  "delvis uppfyllt";
- Förskolan Tegnérlunden: missed the last deadline;
- Vasagården: an indicator on target but trending toward a miss;
- Hemtjänst Norrmalm: continuity indicator off target (lower is better);
- Odengården: an activity delayed; Barn- och ungdomsenheten: forecast "ej uppfyllt";
- Vasaparken, Hemtjänst Vasastan, Parkleken, Vuxenenheten: on track;
- Humlegården (draft started) and Fritidsgården Vasastan: not reported yet.
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

INC, DEC, REACH = Direction.INCREASE, Direction.DECREASE, Direction.REACH
DONE, ONGOING, PLANNED = ActivityPlan.DONE, ActivityPlan.ONGOING, ActivityPlan.PLANNED


def _result(text: str, direction: Direction = REACH, target: float | None = None, baseline: float | None = None):
    return ExpectedResult(id=0, text=text, direction=direction, target_value=target, baseline=baseline)


# --- people ----------------------------------------------------------------------

ANNA = PersonSpec(1, "Anna Lindqvist", "Enhetschef, Förskolan Solrosen")
ERIK = PersonSpec(2, "Erik Sandberg", "Avdelningschef, Förskoleavdelningen")
MARIA = PersonSpec(3, "Maria Holm", "Utvecklingsledare, utvecklingsenheten")
KARIN = PersonSpec(4, "Karin Ekström", "Stadsdelsdirektör")
JOHAN = PersonSpec(5, "Johan Berg", "Avdelningschef, Äldreomsorgsavdelningen")
SARA = PersonSpec(6, "Sara Nilsson", "Avdelningschef, Avdelningen för individ- och familjeomsorg samt fritid")
LENA = PersonSpec(11, "Lena Åberg", "Enhetschef, Förskolan Vasaparken")
OSKAR = PersonSpec(12, "Oskar Wikström", "Enhetschef, Förskolan Humlegården")
PETRA = PersonSpec(13, "Petra Lund", "Enhetschef, Förskolan Tegnérlunden")
AHMED = PersonSpec(14, "Ahmed Yusuf", "Enhetschef, Vasagårdens vård- och omsorgsboende")
EVA = PersonSpec(15, "Eva Strand", "Enhetschef, Hemtjänst Norrmalm")
MIKAEL = PersonSpec(16, "Mikael Ek", "Enhetschef, Hemtjänst Vasastan")
LINNEA = PersonSpec(17, "Linnéa Forsberg", "Enhetschef, Odengårdens dagverksamhet")
DANIEL = PersonSpec(18, "Daniel Roos", "Enhetschef, Fritidsgården Vasastan")
HANNA = PersonSpec(19, "Hanna Björk", "Enhetschef, Parkleken Vasaparken")
SAMIR = PersonSpec(20, "Samir Haddad", "Enhetschef, Barn- och ungdomsenheten")
KRISTINA = PersonSpec(21, "Kristina Dahl", "Enhetschef, Vuxenenheten")

# --- goal areas (inriktningsmål) and KF goals -------------------------------------------

AREAS = (
    AreaSpec("IM1", "En stad där barn och unga växer upp med goda och likvärdiga förutsättningar"),
    AreaSpec("IM2", "En trygg och jämlik stad med god livskvalitet för alla"),
    AreaSpec("IM3", "En klimatsmart och hållbar stad"),
)

KF_GOALS = (
    GoalSpec(
        "KF-1.1",
        "Stockholms förskolor håller hög kvalitet och varje barn får en god start i livet",
        "kf",
        area="IM1",
        valid=(-3, 0),
    ),
    GoalSpec(
        "KF-1.2",
        "Barn och unga har en meningsfull och trygg fritid och får tidigt stöd när de behöver det",
        "kf",
        area="IM1",
        valid=(-3, 0),
    ),
    GoalSpec(
        "KF-2.1",
        "Äldre i Stockholm har en trygg, självständig och värdig tillvaro",
        "kf",
        area="IM2",
        valid=(-3, 0),
    ),
    GoalSpec(
        "KF-2.2",
        "Vuxna med missbruk eller i hemlöshet får stöd att förändra sin livssituation",
        "kf",
        area="IM2",
        valid=(-3, 0),
    ),
    GoalSpec(
        "KF-3.1",
        "Stadens verksamheter minskar sina utsläpp och sitt resursslöseri",
        "kf",
        area="IM3",
        valid=(-3, 0),
    ),
)

# --- nämndmål (owned by the administration, which prepares them for the committee) --------

COMMITTEE_GOALS = (
    GoalSpec(
        "NM-FSK-1",
        "Barnen i stadsdelens förskolor utvecklas och lär sig i en likvärdig förskola med hög kvalitet",
        "namnd",
        parent="KF-1.1",
        area="IM1",
        description="Nämndmålet konkretiserar KF-målet för förskolan: språk, trygghet och en inkluderande miljö.",
        results=(
            _result("Minst 90 procent av vårdnadshavarna är nöjda med förskolan som helhet", INC, 90, 86),
            _result("Alla förskolor arbetar systematiskt med språkutveckling enligt stadsdelens plan", REACH),
        ),
        indicators=(
            IndicatorSpec(
                "NI-FSK-1", "Andel nöjda vårdnadshavare i förskoleundersökningen", "%", 90, 85, 91,
                gender_split=True, women_offset=1.0,
            ),
        ),
    ),
    GoalSpec(
        "NM-ALD-1",
        "Äldre som har hemtjänst eller bor på vård- och omsorgsboende är trygga och nöjda med sitt stöd",
        "namnd",
        parent="KF-2.1",
        area="IM2",
        results=(
            _result("Andelen äldre som sammantaget är nöjda med sin hemtjänst ökar till minst 88 procent", INC, 88, 84),
            _result("Färre olika medarbetare besöker den enskilde i hemtjänsten", DEC, 12, 15),
        ),
    ),
    GoalSpec(
        "NM-ALD-2",
        "Äldre har en meningsfull vardag med möjlighet till social samvaro och aktivitet",
        "namnd",
        parent="KF-2.1",
        area="IM2",
        results=(_result("Alla äldreboenden och dagverksamheter erbjuder aktiviteter alla veckans dagar", REACH),),
    ),
    GoalSpec(
        "NM-IFO-1",
        "Barn och unga i stadsdelen har tillgång till en aktiv, trygg och jämställd fritid",
        "namnd",
        parent="KF-1.2",
        area="IM1",
        results=(_result("Minst 45 procent av besökarna på fritidsgård och parklek är flickor", INC, 45, 38),),
    ),
    GoalSpec(
        "NM-IFO-2",
        "Barn och unga som riskerar att fara illa får tidigt rätt stöd",
        "namnd",
        parent="KF-1.2",
        area="IM1",
        results=(_result("Minst 90 procent av barnavårdsutredningarna avslutas inom fyra månader", INC, 90, 78),),
    ),
    GoalSpec(
        "NM-IFO-3",
        "Vuxna med missbruk eller i hemlöshet får ett samordnat stöd som leder till egen bostad och sysselsättning",
        "namnd",
        parent="KF-2.2",
        area="IM2",
        results=(_result("Fler vuxna går från akut boende till eget boende", INC, 25, 15),),
    ),
    GoalSpec(
        "NM-KLM-1",
        "Stadsdelsförvaltningens verksamheter minskar sin klimatpåverkan",
        "namnd",
        parent="KF-3.1",
        area="IM3",
        results=(_result("Matsvinnet i förskolor och äldreboenden minskar med 20 procent jämfört med 2023", DEC),),
    ),
)

# --- units and their enhetsmål ---------------------------------------------------------

SOLROSEN = NodeSpec(
    "E-SOL",
    "Förskolan Solrosen",
    OrgKind.UNIT,
    people=((ANNA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-SOL-1",
            "Alla barn på Solrosen utvecklar sitt språk och sin kommunikation utifrån sina förutsättningar",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(
                _result("Minst 90 procent av vårdnadshavarna anser att förskolan stimulerar barnets språkutveckling", INC, 90, 84),
                _result("Alla avdelningar har språkpromenader och högläsning i små grupper varje vecka", REACH),
            ),
            indicators=(
                IndicatorSpec(
                    "I-SOL-1", "Andel vårdnadshavare som anser att förskolan stimulerar barnets språkutveckling", "%",
                    90, 83, 91, gender_split=True, women_offset=1.5,
                ),
                IndicatorSpec("I-SOL-2", "Antal barn med flerspråkigt stöd i förskolan", "antal", 20, 14, 24),
            ),
            activities=(
                ActivitySpec("Kompetensutveckling i språkutvecklande arbetssätt för alla pedagoger", DONE),
                ActivitySpec("Högläsning i små grupper med bibliotekets bokpåsar", ONGOING),
            ),
            scenario=Scenario.INDICATOR_OFF_TARGET,
            analysis=(
                "Andelen vårdnadshavare som anser att förskolan stimulerar språkutvecklingen har sjunkit sedan förra "
                "tertialet, mest bland vårdnadshavare till pojkar. Personalomsättningen under våren gjorde att "
                "högläsningen i små grupper inte blev av på två av fyra avdelningar."
            ),
            actions="Högläsning schemaläggs på alla avdelningar från nästa vecka; uppföljning på APT varje månad.",
        ),
        GoalSpec(
            "E-SOL-2",
            "Barnen på Solrosen möter en trygg och inkluderande miljö där alla får vara med",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(
                _result("Alla barn har någon att leka med, enligt barnintervjuer vid varje tertial", REACH),
                _result("Inga otrygga platser kvarstår efter kartläggningen", REACH),
            ),
            indicators=(
                IndicatorSpec(
                    "I-SOL-3", "Andel vårdnadshavare som anser att barnet känner sig tryggt i förskolan", "%",
                    95, 92, 97, gender_split=True, women_offset=0.5,
                ),
            ),
            activities=(
                ActivitySpec("Kartläggning av otrygga platser inomhus och på gården tillsammans med barnen", ONGOING),
                ActivitySpec("Revidera plan mot diskriminering och kränkande behandling", DONE),
            ),
            scenario=Scenario.ACTIVITY_OVERDUE,
            analysis=(
                "Barnen och vårdnadshavarna upplever förskolan som trygg. Kartläggningen av otrygga platser "
                "blev inte klar i tid eftersom barnintervjuerna sköts upp när två pedagoger var sjukskrivna."
            ),
            actions="Kartläggningen slutförs av arbetslaget på avdelning Blåklinten; ny slutdag beslutas av enhetschef.",
        ),
        GoalSpec(
            "E-SOL-3",
            "Solrosen minskar sitt matsvinn och bidrar till en klimatsmart stadsdel",
            "enhet",
            parent="NM-KLM-1",
            area="IM3",
            results=(_result("Matsvinnet är högst 15 gram per barn och dag vid årets slut", DEC, 15, 24),),
            indicators=(IndicatorSpec("I-SOL-4", "Matsvinn per barn och dag", "gram", 15, 26, 14, direction=DEC),),
            activities=(ActivitySpec("Mäta tallrikssvinn en vecka per månad tillsammans med barnen", ONGOING),),
            scenario=Scenario.FORECAST_PARTLY,
            analysis=(
                "Svinnet minskar men långsammare än planerat. Mätningarna visar att det mesta svinnet uppstår vid "
                "eftermiddagsmellanmålet, när barngrupperna är som minst och maten ändå beställs för full grupp."
            ),
            actions="Beställningen av mellanmål anpassas efter närvaron från och med nästa månad.",
        ),
    ),
)

VASAPARKEN = NodeSpec(
    "E-VPK",
    "Förskolan Vasaparken",
    OrgKind.UNIT,
    people=((LENA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-VPK-1",
            "Barnen på Vasaparken utvecklar sin förmåga att samarbeta, lösa problem och uttrycka sig i lek och skapande",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(_result("Minst 90 procent av vårdnadshavarna är nöjda med förskolan som helhet", INC, 90, 87),),
            indicators=(
                IndicatorSpec(
                    "I-VPK-1", "Andel nöjda vårdnadshavare i förskoleundersökningen", "%", 90, 86, 93,
                    gender_split=True, women_offset=-0.5,
                ),
            ),
            activities=(
                ActivitySpec("Ateljé och projektarbete om närmiljön med Vasaparken som utgångspunkt", ONGOING),
                ActivitySpec("Pedagogisk dokumentation i alla barngrupper", DONE),
            ),
        ),
        GoalSpec(
            "E-VPK-2",
            "Vasaparken minskar sitt matsvinn och sin energianvändning",
            "enhet",
            parent="NM-KLM-1",
            area="IM3",
            results=(_result("Matsvinnet är högst 15 gram per barn och dag", DEC, 15, 22),),
            indicators=(IndicatorSpec("I-VPK-2", "Matsvinn per barn och dag", "gram", 15, 22, 12, direction=DEC),),
            activities=(ActivitySpec("Svinnmätning varje fredag och återkoppling till köket", ONGOING),),
        ),
    ),
)

HUMLEGARDEN = NodeSpec(
    "E-HUM",
    "Förskolan Humlegården",
    OrgKind.UNIT,
    people=((OSKAR, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-HUM-1",
            "Alla barn på Humlegården får en likvärdig undervisning som utmanar och stimulerar deras lärande",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(_result("Minst 90 procent av vårdnadshavarna är nöjda med förskolan som helhet", INC, 90, 88),),
            indicators=(
                IndicatorSpec(
                    "I-HUM-1", "Andel nöjda vårdnadshavare i förskoleundersökningen", "%", 90, 88, 92,
                    gender_split=True, women_offset=0.5,
                ),
            ),
            activities=(ActivitySpec("Kollegialt lärande om undervisning i förskolan, varannan vecka", ONGOING),),
            scenario=Scenario.STARTED,
        ),
        GoalSpec(
            "E-HUM-2",
            "Barnen på Humlegården rör sig varje dag och vistas mycket utomhus",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(_result("Alla barngrupper är ute minst två timmar om dagen", REACH),),
            activities=(ActivitySpec("Utflykter till Humlegården och Observatorielunden varje vecka", ONGOING),),
            scenario=Scenario.NOT_REPORTED,
        ),
    ),
)

TEGNERLUNDEN = NodeSpec(
    "E-TEG",
    "Förskolan Tegnérlunden",
    OrgKind.UNIT,
    people=((PETRA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-TEG-1",
            "Barnen på Tegnérlunden utvecklar sitt språk och sin matematiska förståelse i vardagen",
            "enhet",
            parent="NM-FSK-1",
            area="IM1",
            results=(_result("Minst 90 procent av vårdnadshavarna är nöjda med förskolan som helhet", INC, 90, 85),),
            indicators=(
                IndicatorSpec(
                    "I-TEG-1", "Andel nöjda vårdnadshavare i förskoleundersökningen", "%", 90, 84, 91,
                    gender_split=True, women_offset=1.0,
                ),
            ),
            activities=(ActivitySpec("Matematik i vardagen: mäta, sortera och jämföra i leken", ONGOING),),
            scenario=Scenario.REPORT_MISSING,
        ),
        GoalSpec(
            "E-TEG-2",
            "Tegnérlunden minskar sitt matsvinn",
            "enhet",
            parent="NM-KLM-1",
            area="IM3",
            results=(_result("Matsvinnet är högst 15 gram per barn och dag", DEC, 15, 21),),
            indicators=(IndicatorSpec("I-TEG-2", "Matsvinn per barn och dag", "gram", 15, 21, 13, direction=DEC),),
            scenario=Scenario.REPORT_MISSING,
        ),
    ),
)

VASAGARDEN = NodeSpec(
    "E-VAG",
    "Vasagårdens vård- och omsorgsboende",
    OrgKind.UNIT,
    people=((AHMED, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-VAG-1",
            "De boende på Vasagården känner sig trygga och är nöjda med sitt boende som helhet",
            "enhet",
            parent="NM-ALD-1",
            area="IM2",
            results=(_result("Minst 85 procent av de boende är nöjda med sitt boende som helhet", INC, 85, 80),),
            indicators=(
                IndicatorSpec(
                    "I-VAG-1", "Brukarbedömning särskilt boende äldreomsorg – helhetssyn", "%", 85, 79, 88,
                    gender_split=True, women_offset=-1.0, kpi_id="U23471",
                ),
            ),
            activities=(ActivitySpec("Kontaktmannaskap: samtal med varje boende om genomförandeplanen", DONE),),
        ),
        GoalSpec(
            "E-VAG-2",
            "De boende på Vasagården har en meningsfull vardag med aktiviteter utifrån sina önskemål",
            "enhet",
            parent="NM-ALD-2",
            area="IM2",
            results=(_result("Minst 75 procent av de boende är nöjda med aktiviteterna", INC, 75, 68),),
            indicators=(
                IndicatorSpec(
                    "I-VAG-2", "Andel boende som är nöjda med de aktiviteter som erbjuds", "%", 75, 66, 80,
                    gender_split=True, women_offset=2.0,
                ),
            ),
            activities=(ActivitySpec("Aktivitetsombud på varje våningsplan", DONE),),
            scenario=Scenario.INDICATOR_TREND,
            analysis=(
                "Nöjdheten med aktiviteterna ligger fortfarande över målvärdet men har sjunkit sedan aktivitetsombudet "
                "på plan 3 slutade. Männen är mindre nöjda än kvinnorna med utbudet."
            ),
            actions="Nytt aktivitetsombud utses på plan 3; samtal med de boende om vilka aktiviteter som saknas.",
        ),
    ),
)

HEMTJANST_NORRMALM = NodeSpec(
    "E-HTN",
    "Hemtjänst Norrmalm",
    OrgKind.UNIT,
    people=((EVA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-HTN-1",
            "Kunderna i Hemtjänst Norrmalm möter få och välkända medarbetare",
            "enhet",
            parent="NM-ALD-1",
            area="IM2",
            results=(_result("En kund möter i genomsnitt högst 12 olika medarbetare under 14 dagar", DEC, 12, 16),),
            indicators=(
                IndicatorSpec(
                    "I-HTN-1", "Antal olika medarbetare som en kund möter under 14 dagar", "antal", 12, 16, 11,
                    direction=DEC,
                ),
            ),
            activities=(ActivitySpec("Fasta team per område och kontaktperson för varje kund", ONGOING),),
            scenario=Scenario.INDICATOR_OFF_TARGET,
            analysis=(
                "Kontinuiteten har försämrats under sommaren då många timvikarier behövdes. Kunderna i området "
                "kring Odenplan möter flest olika medarbetare."
            ),
            actions="Schemat läggs om så att varje team täcker ett mindre område; färre timvikarier i höst.",
        ),
        GoalSpec(
            "E-HTN-2",
            "Kunderna i Hemtjänst Norrmalm är nöjda med sin hemtjänst",
            "enhet",
            parent="NM-ALD-1",
            area="IM2",
            results=(_result("Minst 88 procent av kunderna är nöjda med hemtjänsten som helhet", INC, 88, 85),),
            indicators=(
                IndicatorSpec(
                    "I-HTN-2", "Brukarbedömning hemtjänst äldreomsorg – helhetssyn", "%", 88, 84, 90,
                    gender_split=True, women_offset=-0.5, kpi_id="U21468",
                ),
            ),
        ),
    ),
)

HEMTJANST_VASASTAN = NodeSpec(
    "E-HTV",
    "Hemtjänst Vasastan",
    OrgKind.UNIT,
    people=((MIKAEL, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-HTV-1",
            "Kunderna i Hemtjänst Vasastan är nöjda med sin hemtjänst och känner sig trygga",
            "enhet",
            parent="NM-ALD-1",
            area="IM2",
            results=(_result("Minst 88 procent av kunderna är nöjda med hemtjänsten som helhet", INC, 88, 86),),
            indicators=(
                IndicatorSpec(
                    "I-HTV-1", "Brukarbedömning hemtjänst äldreomsorg – helhetssyn", "%", 88, 85, 91,
                    gender_split=True, women_offset=0.5, kpi_id="U21468",
                ),
            ),
            activities=(ActivitySpec("Välkomstsamtal med varje ny kund inom en vecka", DONE),),
        ),
        GoalSpec(
            "E-HTV-2",
            "Hemtjänst Vasastan minskar sina transporters klimatpåverkan",
            "enhet",
            parent="NM-KLM-1",
            area="IM3",
            results=(_result("Minst 80 procent av besöken görs till fots, med cykel eller elcykel", INC, 80, 60),),
            indicators=(IndicatorSpec("I-HTV-2", "Andel besök till fots eller med cykel", "%", 80, 62, 84),),
            activities=(ActivitySpec("Byta de sista bensinbilarna mot elcyklar", PLANNED),),
        ),
    ),
)

ODENGARDEN = NodeSpec(
    "E-ODG",
    "Odengårdens dagverksamhet",
    OrgKind.UNIT,
    people=((LINNEA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-ODG-1",
            "Besökarna på Odengården har en meningsfull dag med social samvaro och fysisk aktivitet",
            "enhet",
            parent="NM-ALD-2",
            area="IM2",
            results=(_result("Aktiviteter erbjuds alla vardagar och minst en lördag i månaden", REACH),),
            indicators=(
                IndicatorSpec(
                    "I-ODG-1", "Antal besökare per vecka", "antal", 60, 48, 66, gender_split=True, women_offset=6,
                ),
            ),
            activities=(
                ActivitySpec("Öppna dagverksamheten en lördag i månaden", ONGOING),
                ActivitySpec("Sittgympa två gånger i veckan med fysioterapeut", DONE),
            ),
            scenario=Scenario.ACTIVITY_DELAYED,
            analysis=(
                "Besöksantalet har ökat och målvärdet nås. Lördagsöppningen är försenad eftersom "
                "bemanningen inte gick att lösa utan övertid."
            ),
            actions="Lördagsöppningen bemannas med timanställda från oktober; avstämning med avdelningschef.",
        ),
    ),
)

FRITIDSGARDEN = NodeSpec(
    "E-FRG",
    "Fritidsgården Vasastan",
    OrgKind.UNIT,
    people=((DANIEL, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-FRG-1",
            "Fritidsgården Vasastan är en trygg och jämställd mötesplats där både flickor och pojkar vill vara",
            "enhet",
            parent="NM-IFO-1",
            area="IM1",
            results=(_result("Minst 45 procent av besökarna är flickor", INC, 45, 36),),
            indicators=(
                IndicatorSpec("I-FRG-1", "Andel besökare som är flickor", "%", 45, 35, 46),
                IndicatorSpec(
                    "I-FRG-2", "Antal besök per kväll", "antal", 40, 30, 44, gender_split=True, women_offset=-2,
                ),
            ),
            activities=(ActivitySpec("Tjejkväll varje onsdag planerad tillsammans med besökarna", ONGOING),),
            scenario=Scenario.NOT_REPORTED,
        ),
        GoalSpec(
            "E-FRG-2",
            "Ungdomarna har inflytande över fritidsgårdens verksamhet",
            "enhet",
            parent="NM-IFO-1",
            area="IM1",
            results=(_result("Ett besöksråd träffas varje månad och dess förslag genomförs", REACH),),
            activities=(ActivitySpec("Besöksråd en gång i månaden", ONGOING),),
            scenario=Scenario.NOT_REPORTED,
        ),
    ),
)

PARKLEKEN = NodeSpec(
    "E-PRK",
    "Parkleken Vasaparken",
    OrgKind.UNIT,
    people=((HANNA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-PRK-1",
            "Barn i alla åldrar och deras familjer har en trygg och välkomnande parklek året runt",
            "enhet",
            parent="NM-IFO-1",
            area="IM1",
            results=(_result("Minst 1 200 besök per månad i snitt över året", INC, 1200, 950),),
            indicators=(
                IndicatorSpec(
                    "I-PRK-1", "Antal besök per månad", "antal", 1200, 980, 1350, gender_split=True, women_offset=-20,
                ),
            ),
            activities=(ActivitySpec("Lovaktiviteter i samarbete med biblioteket", DONE),),
        ),
    ),
)

BARN_OCH_UNGDOM = NodeSpec(
    "E-BOU",
    "Barn- och ungdomsenheten",
    OrgKind.UNIT,
    people=((SAMIR, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-BOU-1",
            "Barn och unga som riskerar att fara illa får sin situation utredd skyndsamt och får tidigt rätt stöd",
            "enhet",
            parent="NM-IFO-2",
            area="IM1",
            results=(_result("Minst 90 procent av utredningarna avslutas inom fyra månader", INC, 90, 80),),
            indicators=(
                IndicatorSpec(
                    "I-BOU-1", "Andel barnavårdsutredningar som avslutas inom fyra månader", "%", 90, 82, 91,
                    gender_split=True, women_offset=1.0,
                ),
            ),
            activities=(ActivitySpec("Introduktion och mentorskap för nya socialsekreterare", ONGOING),),
            scenario=Scenario.FORECAST_NOT,
            analysis=(
                "Fem av tolv socialsekreterare har slutat under året och ärendemängden per handläggare har ökat. "
                "Utredningstiderna har ännu inte påverkats men kommer att göra det under hösten."
            ),
            actions=(
                "Inhyrda socialsekreterare under hösten, prioritering av ärenden enligt riskbedömning "
                "och en rekryteringskampanj tillsammans med HR."
            ),
        ),
    ),
)

VUXENENHETEN = NodeSpec(
    "E-VUX",
    "Vuxenenheten",
    OrgKind.UNIT,
    people=((KRISTINA, Role.UNIT_MANAGER),),
    goals=(
        GoalSpec(
            "E-VUX-1",
            "Vuxna med missbruk eller i hemlöshet får ett samordnat stöd mot eget boende och sysselsättning",
            "enhet",
            parent="NM-IFO-3",
            area="IM2",
            results=(_result("Minst 25 personer per år går från akut boende till eget boende", INC, 25, 15),),
            indicators=(
                IndicatorSpec(
                    "I-VUX-1", "Antal personer som gått från akut boende till eget boende hittills i år", "antal",
                    25, 12, 27, gender_split=True, women_offset=-4,
                ),
            ),
            activities=(ActivitySpec("Bostad först: samverkan med bostadsbolagen", ONGOING),),
        ),
    ),
)

STOCKHOLM_ILS = DemoSpec(
    key="stockholm_ils",
    profile="stockholm_ils",
    areas=AREAS,
    resource_use=(
        "Budgeten följer plan. Personalens kompetens används i kollegialt lärande och lokalerna samnyttjas "
        "med andra verksamheter på kvällstid."
    ),
    root=NodeSpec(
        "STHLM",
        "Stockholms stad",
        OrgKind.MUNICIPALITY,
        goals=KF_GOALS,
        children=(
            NodeSpec(
                "SDF-NORRMALM",
                "Norrmalms stadsdelsförvaltning",
                OrgKind.ADMINISTRATION,
                people=((KARIN, Role.DIRECTOR), (MARIA, Role.STAFF)),
                goals=COMMITTEE_GOALS,
                children=(
                    NodeSpec(
                        "AVD-FSK",
                        "Förskoleavdelningen",
                        OrgKind.DEPARTMENT,
                        people=((ERIK, Role.DEPARTMENT_HEAD),),
                        children=(SOLROSEN, VASAPARKEN, HUMLEGARDEN, TEGNERLUNDEN),
                    ),
                    NodeSpec(
                        "AVD-ALD",
                        "Äldreomsorgsavdelningen",
                        OrgKind.DEPARTMENT,
                        people=((JOHAN, Role.DEPARTMENT_HEAD),),
                        children=(VASAGARDEN, HEMTJANST_NORRMALM, HEMTJANST_VASASTAN, ODENGARDEN),
                    ),
                    NodeSpec(
                        "AVD-IFO",
                        "Avdelningen för individ- och familjeomsorg samt fritid",
                        OrgKind.DEPARTMENT,
                        people=((SARA, Role.DEPARTMENT_HEAD),),
                        children=(FRITIDSGARDEN, PARKLEKEN, BARN_OCH_UNGDOM, VUXENENHETEN),
                    ),
                ),
            ),
        ),
    ),
)
