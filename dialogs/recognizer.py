"""Offline intent recognition and entity extraction for what managers type to Målkoll.

No external AI service: weighted keyword/phrase patterns per intent in Swedish and English,
typo tolerance with rapidfuzz, and fuzzy matching of the unit, goal and indicator names the
caller passes in a `Vocabulary` (the names in the user's scope). Everything is folded by
dialogs.normalize first, so "vilka mal ligger efter", "VILKA MÅL LIGGER EFTER" and "vilka maal
ligger efter" are the same question.

The result is a `Recognition`; an ambiguous name yields several ids (the dialog asks which one)
and text that matches nothing is `Intent.UNKNOWN` (the dialog says what can be asked).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from dialogs.intent_model import model as intent_model
from dialogs.normalize import fold, standard_words, stem, without_mentions


class Intent(StrEnum):
    HELP = "help"
    MENU = "menu"
    GREETING = "greeting"
    REPORT = "report"
    CONTINUE = "continue"
    CANCEL = "cancel"
    EDIT = "edit"
    BEHIND = "behind"
    GOAL_STATUS = "goal_status"
    UNIT_STATUS = "unit_status"
    LEFT_TO_REPORT = "left_to_report"
    DEADLINE = "deadline"
    NOT_REPORTED = "not_reported"
    TREND = "trend"
    SUMMARY = "summary"
    LINK_CHANNEL = "link_channel"
    EXPORT = "export"
    SNOOZE = "snooze"
    APPROVALS = "approvals"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Vocabulary:
    """Names the user may refer to: ids -> display names, goal id -> goal number."""

    units: dict[int, str] = field(default_factory=dict)
    goals: dict[int, str] = field(default_factory=dict)
    goal_numbers: dict[int, int] = field(default_factory=dict)
    indicators: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recognition:
    intent: Intent
    score: float
    language: str  # "sv" | "en"
    unit_ids: tuple[int, ...] = ()
    goal_ids: tuple[int, ...] = ()
    indicator_ids: tuple[int, ...] = ()
    period: str | None = None  # "T1","T2","T3","interim","annual","last_year","this_year"


# --- intent patterns -------------------------------------------------------------------
#
# A pattern is a phrase of folded words that must occur in this order and next to each
# other; "word*" matches any word starting with "word" (inflections, compounds) and "..."
# allows up to three other words in between. Weights say how sure a pattern makes us; the
# strongest matching pattern wins, so a specific phrase ("avbryt rapporteringen") beats a
# generic cue ("rapporter*"). STATUS is internal: "hur går det för X" becomes GOAL_STATUS,
# UNIT_STATUS or BEHIND depending on what X is.

_STATUS = "status"

_PATTERNS: dict[str, tuple[tuple[str, float], ...]] = {
    Intent.HELP: (
        ("hjälp*", 1.0), ("help", 1.0), ("vad kan du", 0.9), ("vad kan jag fråga", 1.1),
        ("vad kan jag", 0.7), ("what can i ask", 1.1), ("what can you", 1.0),
        ("hur funkar", 0.9), ("hur fungerar", 0.9), ("how does this work", 1.0),
        ("how do i use", 0.9), ("hur använder jag", 0.9), ("vilka frågor", 0.9),
        ("kommando*", 0.8), ("commands", 0.8), ("instruktion*", 0.7), ("instructions", 0.7),
        ("förstår inte", 0.9), ("fattar inte", 1.0), ("begriper inte", 1.0),
        ("not understand", 0.9), ("hur man gör", 0.9), ("hur gör jag", 1.0), ("hur gör man", 1.0),
        ("vad kan man", 0.9), ("komma igång", 0.9), ("what to ask", 1.0), ("tips", 0.7),
        ("get started", 0.9), ("använda dig", 1.0), ("vad gör du", 1.0), ("what do you do", 1.0),
        ("able to do", 1.0), ("how to use", 0.9), ("how do i", 0.6), ("vet inte vad", 0.9),
        ("vad ... skriva", 0.9), ("what ... type", 0.8), ("what ... write", 0.8),
        ("supposed to", 0.8), ("vad klarar du", 1.0), ("exempel*", 0.9), ("example*", 0.9),
        ("guide", 0.7), ("manual", 0.7),
        ("vad är målkoll", 1.0), ("vad är du", 0.9), ("what is this", 0.9), ("what are you", 0.9),
        ("hur funkar du", 1.0), ("how do you work", 1.0), ("hur frågar", 1.0), ("how ... ask", 0.9),
        ("can i ask", 1.0), ("questions ... ask", 1.0), ("frågor ... ställa", 1.0), ("frågor", 0.7),
        ("questions", 0.7),
        ("bot*", 0.9), ("lathund*", 1.0), ("vad du kan", 1.0), ("this bot", 1.0),
        ("what does ... do", 0.9), ("var hittar", 1.0), ("where ... find", 1.0),
        ("vad betyder", 1.3), ("vad innebär", 1.3), ("what does ... mean", 1.3), ("what is meant", 1.3),
        ("vet inte hur", 1.1), ("do not know how", 1.1),
        ("hur används", 1.0), ("how is this used", 1.0), ("denna tjänst", 0.8), ("this thing", 0.8),
        ("how ... use", 0.9), ("hur ... använd*", 0.9), ("vem är du", 1.0), ("who are you", 1.0),
        ("lost", 0.9), ("vilse", 0.9), ("förvirrad", 0.9), ("confused", 0.9),
        ("förstår du", 1.0), ("är du en", 1.0), ("robot", 1.0), ("are you a", 1.0),
    ),
    Intent.MENU: (
        ("meny*", 1.0), ("menyn", 1.0), ("menu", 1.0), ("huvudmeny*", 1.0), ("startmeny*", 1.0),
        ("visa alternativ*", 0.9), ("alternativ*", 0.6), ("options", 0.7),
        ("tillbaka till start*", 1.1), ("tillbaka", 0.7), ("back to", 0.8), ("go back", 0.8),
        ("välja på", 1.0), ("startsida*", 1.0),
        ("för val", 0.9),
        ("börja om", 0.8), ("start over", 0.8), ("visa val", 1.0), ("home", 0.6),
    ),
    Intent.GREETING: (
        ("hej*", 0.8), ("hejsan", 0.8), ("hallå*", 0.8), ("tjen*", 0.8),
        ("tjabba", 0.8), ("tja", 0.7), ("god morgon", 0.8), ("god dag", 0.8),
        ("godmorgon", 0.8), ("hello", 0.8), ("hi", 0.7), ("hey", 0.7),
        ("good morning", 0.8), ("good afternoon", 0.8), ("hur mår du", 1.1),
        ("how are you", 1.1), ("god kväll", 0.8), ("good evening", 0.8),
        ("god eftermiddag", 0.8), ("god afton", 0.8), ("morning", 0.7), ("afternoon", 0.7),
        ("evening", 0.7), ("morsning", 0.8), ("good day", 0.8),
        ("morrn", 0.8), ("mornin", 0.7), ("hiya", 0.7), ("howdy", 0.7), ("greetings", 0.7),
        ("god förmiddag", 0.8), ("god natt", 0.8),
        ("godkväll", 0.8), ("godmiddag", 0.8),
        ("yo", 0.6), ("tjenixen", 0.8), ("hallåj", 0.8),
    ),
    Intent.REPORT: (
        ("rapporter*", 0.8), ("report", 0.8), ("reporting", 0.7), ("uppföljning*", 0.4),
        ("starta ... uppföljning*", 1.0), ("fyll* i", 0.9), ("fyll* ... uppföljning*", 1.0),
        ("lämna* ... uppföljning*", 1.0), ("lämna* in", 0.9), ("börja ... rapporter*", 1.0),
        ("submit", 0.9), ("start ... follow", 1.0), ("fill in", 0.9), ("follow up", 0.4),
        ("tertialrapport*", 0.9), ("delårsrapport*", 0.6), ("årsrapport*", 0.6),
        ("följ* upp", 0.9), ("skicka in", 0.9), ("gör* ... uppföljning*", 1.0),
        ("do ... follow up", 1.0), ("my follow up", 0.9), ("återrapporter*", 0.9),
        ("redovis*", 0.8), ("registrer*", 0.7), ("mata in", 0.9), ("lägg* in", 0.8),
        ("svara på ... uppföljning*", 1.0),
        ("rapport", 0.6), ("rapporten", 0.6), ("påbörja*", 0.9), ("börja*", 0.7), ("starta", 0.7),
        ("dags ... uppföljning*", 1.0), ("dags ... rapport*", 1.0), ("formulär*", 0.9),
        ("kör ... uppföljning*", 1.0), ("kör ... rapportering*", 1.0),
        ("file my", 0.9), ("file ... return", 1.0), ("underlag*", 0.6),
    ),
    Intent.CONTINUE: (
        ("fortsätt*", 1.0), ("gå vidare", 0.9), ("continue", 1.0), ("resume", 1.0),
        ("ta upp där", 0.9), ("där jag slutade", 0.9), ("där jag var", 0.9),
        ("där vi slutade", 0.9), ("där vi var", 0.9), ("where i left", 0.9), ("carry on", 0.9),
        ("kör vidare", 1.0), ("kör på", 0.9), ("vidare", 0.7), ("go on", 1.0), ("keep going", 1.0),
        ("återuppta*", 1.0), ("ta vid", 0.9), ("pick up", 0.8), ("nästa fråga", 0.8),
        ("carry on with", 1.0),
        ("tillbaka ... rapport*", 1.1), ("tillbaka ... uppföljning*", 1.1), ("hoppa tillbaka", 1.0),
        ("tillbaka till ... rapport*", 1.1), ("tillbaka till ... uppföljning*", 1.1),
        ("back to ... report*", 1.1), ("back to ... follow up", 1.1),
    ),
    Intent.CANCEL: (
        ("avbryt*", 1.1), ("sluta", 1.0), ("glöm det", 1.0), ("stopp*", 1.0), ("stop", 1.0),
        ("avsluta", 1.0), ("cancel*", 1.1), ("never mind", 1.0), ("nevermind", 1.0),
        ("abort", 1.0), ("quit", 0.9), ("exit", 0.8), ("strunt*", 1.0), ("skit ... samma", 1.0),
        ("skit i det", 1.0), ("skippa*", 0.9), ("forget it", 1.0), ("forget about it", 1.0),
        ("nej tack", 0.8), ("no thanks", 0.8), ("ångrar", 0.9),
        ("ångra*", 0.9), ("stäng", 0.9), ("close", 0.8), ("det räcker", 0.9), ("räcker det", 0.9), ("hoppa ur", 1.0),
        ("vill inte", 1.05), ("do not want", 1.05), ("lägg ner", 0.9),
        ("scrap", 1.0), ("drop it", 1.0), ("utan att spara", 1.1),
        ("kill", 0.9),
    ),
    Intent.EDIT: (
        ("ändr*", 1.0), ("rätta*", 0.9), ("korriger*", 1.0), ("edit", 1.0),
        ("change", 0.9), ("skrivit fel", 1.0), ("skrev fel", 1.0), ("uppdater*", 0.8),
        ("update", 0.8), ("modify", 0.9), ("correct", 0.8), ("justera*", 1.0),
        ("redigera*", 1.0), ("revidera*", 1.0), ("fix*", 0.9), ("byt*", 0.9), ("amend", 0.9),
        ("revise", 0.9),
        ("komplettera*", 1.0), ("skriva om", 1.0), ("skriv om", 1.0), ("göra om", 0.9),
        ("gör om", 0.9), ("ta bort", 0.8), ("lägga till", 0.7), ("redo", 0.8),
        ("fel siffr*", 1.1), ("fel värde*", 1.1), ("fel ... mål*", 1.0), ("råka*", 0.9),
        ("wrong", 0.9), ("fel", 0.75),
    ),
    Intent.BEHIND: (
        ("ligg* ... efter", 1.2), ("låg ... efter", 1.2), ("släp*", 1.1),
        ("off track", 1.2), ("behind", 1.2), ("lagging", 1.2), ("not on track", 1.3),
        ("ej uppfyll*", 1.0), ("inte uppfyll*", 1.0), ("uppfylls inte", 1.0),
        ("delvis uppfyll*", 1.1), ("partly", 1.0), ("partially", 1.0),
        ("röd*", 1.0), ("red", 1.0), ("i fara", 1.0), ("at risk", 1.0), ("problem*", 0.8),
        ("inte ... nås", 1.0), ("inte ... nå", 1.0), ("inte ... når", 1.0),
        ("inte ... nått", 1.1), ("inte ... nådde", 1.1), ("inte ... uppnå*", 1.1),
        ("not ... met", 1.0), ("efter plan*", 1.0),
        ("dålig*", 1.0), ("riskerar", 1.0), ("badly", 1.0), ("inte i fas", 1.2),
        ("försen*", 1.1), ("delayed", 1.0), ("når vi inte", 1.1), ("klarar vi inte", 1.1),
        ("not ... reach*", 1.0), ("not ... meet", 1.0), ("not ... achiev*", 1.0),
        ("sämre", 0.9), ("gått sämre", 1.1), ("sämst", 1.0), ("worst", 1.0),
        ("åtgärd*", 0.8), ("behöver åtgärd*", 1.1), ("worse", 0.9), ("need* action", 1.1),
        # "som inte går så bra", "inte håller", "vi inte kommer klara": a negated "going well"
        ("inte ... bra", 1.1), ("inte ... håll*", 1.0), ("inte ... klara", 1.0),
        ("inte ... lyckas", 1.0), ("not ... well", 1.0), ("not ... good", 1.0),
        ("avvik*", 1.0), ("deviat*", 1.0), ("under ... målvärde*", 1.1), ("under mål*", 1.0),
        ("below ... target*", 1.1), ("jobba mer", 1.0), ("förbättr*", 0.9), ("improve*", 0.9),
        ("oroa*", 0.9), ("worr*", 0.9), ("halk* efter", 1.2),
        ("efterkälken", 1.2), ("inte ... i mål", 1.1), ("missar ... mål*", 1.0),
        ("under förväntan", 1.1), ("inte enligt plan*", 1.2), ("inte ... planerat", 1.0),
        ("gul*", 0.9), ("yellow", 0.9), ("in the red", 1.2), ("underperform*", 1.1),
        ("inte följer plan*", 1.1), ("hänger inte med", 1.1), ("kritisk*", 0.9),
        ("mål* ... efter", 0.9), ("miss", 1.0), ("missed", 1.0), ("missa* ... mål*", 1.0),
        ("suger", 1.0), ("kass*", 1.0), ("inte funkar", 0.9), ("bakåt", 1.0), ("backwards", 1.0),
        ("försämr*", 1.0), ("tappa*", 0.9),
        ("fail*", 1.1), ("misslyck*", 1.0), ("negativ*", 0.9), ("svår*", 0.9),
        # a main clause puts "inte" after the verb: "vi når inte", "det håller inte"
        ("når ... inte", 1.0), ("nådde ... inte", 1.1), ("nått ... inte", 1.1), ("håll* inte", 1.0),
        ("lyckas ... inte", 1.0), ("uppnå* ... inte", 1.1), ("går ... inte ... bra", 1.1),
        ("off course", 1.2), ("shaky", 1.0), ("struggl*", 1.0), ("concern*", 0.9),
        ("missa*", 0.9), ("mot ... målvärde*", 0.9), ("off target", 1.2),
        ("riskzon*", 1.1), ("farozon*", 1.1),
        ("attention", 1.0), ("uppmärksamhet", 1.0), ("fel håll", 1.1), ("fel riktning", 1.1),
        ("wrong direction", 1.1), ("pekar fel", 1.1),
        ("going wrong", 1.2), ("går fel", 1.1), ("brinner", 1.0), ("akut*", 0.9),
        ("underskott", 1.1), ("deficit", 1.1), ("overspen*", 1.1),
    ),
    _STATUS: (
        ("hur går det", 1.0), ("hur gick det", 1.0), ("hur ligger ... till", 1.0),
        ("status*", 1.0), ("läget", 0.8), ("hur mår", 1.0), ("hur ser det ut", 1.0),
        ("överblick", 0.9), ("uppfyll*", 0.8), ("how is", 0.9), ("how are we doing", 1.0),
        ("how are", 0.7), ("doing", 0.5), ("how ... going", 0.9),
        ("situation*", 0.9), ("på väg att", 0.9), ("prognos*", 0.9), ("forecast", 0.9),
        ("berätta om", 0.8), ("berätta ... hur", 0.9), ("hur har ... det", 0.9),
        ("kommer ... klara", 0.9), ("on track", 0.9),
        ("hur är läget", 1.0), ("hur är det med", 0.9), ("hur står det till", 1.0),
        ("hur har det gått", 1.0), ("hur ser ... ut", 1.0), ("läge*", 0.8), ("progress", 0.9),
        ("hur långt ... kommit", 1.0), ("i fas", 0.9), ("update on", 0.9), ("how are things", 1.0),
        ("what is happening", 0.9), ("going with", 0.8),
        ("how did", 0.9), ("how ... do", 0.6),
        ("redovis* status*", 1.3), ("redovis* ... läget", 1.2),
        ("rätt spår", 1.0), ("på spår", 0.9),
        ("på väg", 0.9),
        ("vad har hänt", 0.9), ("what happened", 0.9),
    ),
    Intent.LEFT_TO_REPORT: (
        ("kvar ... rapporter*", 1.3), ("har jag kvar", 1.2), ("jag kvar", 1.1),
        ("återstå*", 1.1), ("är kvar", 1.0), ("saknas i min", 1.1),
        ("jag inte ... rapporter*", 1.3), ("måste jag rapporter*", 1.1), ("något kvar", 1.1),
        ("anything left", 1.2), ("left ... report", 1.2), ("left for me", 1.2),
        ("behöver jag rapporter*", 1.1), ("still left", 1.2), ("left to do", 1.2),
        ("rapporterat allt", 1.2), ("allt rapporterat", 1.2), ("reported everything", 1.2),
        ("inte gjor*", 1.1), ("har jag inte", 0.9), ("not done", 1.0),
        ("kvar att göra", 1.2), ("left to report", 1.3), ("have left", 1.1),
        ("outstanding", 1.0), ("still need", 1.1), ("do i still", 1.0), ("to do list", 1.0),
        ("klar* med allt", 1.2), ("är jag klar", 1.1), ("am i done", 1.1), ("har jag missat", 1.3), ("har jag glömt", 1.3),
        ("got left", 1.1), ("what is left", 1.1), ("vad är kvar", 1.1), ("vad finns kvar", 1.1),
        ("kvar", 0.8),
        ("något mer", 1.0), ("anything else", 1.0), ("göra ... mer", 0.9),
        ("måste jag göra", 1.1), ("behöver jag göra", 1.1), ("must i do", 1.1),
        ("overdue", 1.0), ("är jag färdig", 1.1), ("färdig* med allt", 1.2), ("färdig* med", 0.9),
        ("väntar på mig", 1.2), ("waiting for me", 1.2), ("ogjor*", 1.1), ("ofärdig*", 1.0),
        ("undone", 1.0),
        ("ta tag i", 1.0), ("vad ska vara klar*", 1.2), ("need to do", 1.1),
    ),
    Intent.DEADLINE: (
        ("deadline*", 1.2), ("sista dag*", 1.2), ("sista datum", 1.2), ("när ska", 1.0),
        ("vara inne", 1.1), ("vara klar", 1.0), ("när måste", 1.3), ("hur lång tid", 1.1),
        ("when is", 0.7), ("due", 1.0), ("när stänger", 1.2), ("stänger", 0.9),
        ("vilket datum", 1.1), ("inlämn*", 0.6), ("senast", 0.8), ("by when", 1.0),
        ("hur länge", 1.1), ("when do i need", 1.2), ("when must", 1.2), ("when should", 1.0),
        ("how long", 1.0), ("hur många dagar", 1.3), ("dagar ... kvar", 1.3),
        ("kvar till", 1.2), ("how many days", 1.3),
        ("tid ... kvar", 1.4), ("time ... left", 1.4), ("mycket tid", 1.1), ("till när", 1.3),
        ("senaste dag*", 1.2), ("senaste datum", 1.2), ("datum ... inlämn*", 1.2),
        ("datum ... rapporter*", 1.2), ("datum ... uppföljning*", 1.2), ("due date", 1.2),
        ("when ... have to", 1.1), ("when ... submit", 1.2),
        ("sista ... inlämn*", 1.2), ("tidsplan*", 1.0), ("timetable", 1.0), ("cut off", 1.1),
        ("cutoff", 1.1), ("closing date", 1.2), ("vilken dag ... rapporter*", 1.2),
        ("tiden ut", 1.2), ("löper ut", 1.2), ("expire*", 1.1), ("går ut", 1.0),
        ("dedlajn*", 1.2), ("vara färdig", 1.0),
    ),
    Intent.NOT_REPORTED: (
        ("enhet* ... inte rapporter*", 1.4), ("vem har inte", 1.3), ("vilka har inte", 1.3),
        ("inte rapporter*", 1.0), ("ej rapporter*", 1.0), ("ej lämnat", 1.2),
        ("inte lämnat", 1.2), ("enhet* saknar", 1.3), ("saknade rapport*", 1.3),
        ("saknar rapport*", 1.2), ("not reported", 1.2), ("have not reported", 1.3),
        ("has not reported", 1.3), ("missing report*", 1.3),
        ("who has not", 1.2), ("units ... not ... reported", 1.4), ("enhet* saknas", 1.3),
        ("vem saknas", 1.2), ("vilka saknas", 1.2), ("sakna*", 0.7), ("who is missing", 1.2),
        ("units ... missing", 1.3), ("missing ... report*", 1.3),
        ("efter med rapport*", 1.3), ("efter med uppföljning*", 1.3), ("behind with ... report*", 1.3),
        ("enhet* ... inte klar*", 1.4), ("enhet* ... inte ... klar*", 1.4), ("enhet* ... sena", 1.3),
        ("late", 0.9), ("inte skickat", 1.2), ("not submitted", 1.2),
        ("inte ... följt upp", 1.0), ("enhet* ... inte ... följ* upp", 1.4), ("jaga", 0.9),
        ("owe*", 1.0), ("alla ... rapporterat", 1.2), ("alla ... lämnat in", 1.2),
        ("everyone ... reported", 1.2), ("everybody ... reported", 1.2),
        ("inrapportering*", 0.9), ("vilka ... inte ... klar*", 1.2), ("vem ... inte ... klar*", 1.2),
        ("rapporteringsläg*", 1.2), ("läget ... rapportering*", 1.2), ("inte ... skickat", 1.2),
        ("om ... har rapporter*", 1.2), ("om ... har lämnat*", 1.2), ("whether ... report*", 1.2),
        ("inte klar*", 0.9), ("sen med", 1.1), ("sena med", 1.1), ("vem ... sen", 1.1),
        ("vilka ... sena", 1.1),
    ),
    Intent.TREND: (
        ("trend*", 1.2), ("utveckl*", 1.0), ("diagram*", 1.2), ("graf*", 1.1),
        ("kurv*", 1.0), ("chart", 1.2), ("graph", 1.2), ("förändrat*", 1.0),
        ("förändring*", 0.9), ("över tid", 1.0), ("over time", 1.0), ("historik", 1.0),
        ("history", 0.8), ("develop*", 1.0), ("changed", 1.1),
        # a measure that moves: "har fallolyckorna minskat", "ökar besökarna"; not "ökad" or
        # "minskad", which are words of goal names ("Minskad sjukfrånvaro")
        ("ökar", 1.1), ("ökat", 1.1), ("minskar", 1.1), ("minskat", 1.1), ("stiger", 1.1),
        ("stigit", 1.1), ("sjunker", 1.1), ("sjunkit", 1.1), ("gått upp", 1.1), ("gått ner", 1.1),
        ("upp eller ner", 1.2), ("increas*", 1.0), ("decreas*", 1.0), ("rising", 1.0),
        ("falling", 1.0), ("going up", 1.0), ("going down", 1.0), ("gone up", 1.0),
        ("gone down", 1.0), ("sett ut", 1.0), ("jämför*", 1.1), ("compar*", 1.1), ("tidsserie*", 1.0),
        ("statistik", 0.8), ("statistics", 0.8), ("mätvärde*", 0.8), ("siffror*", 0.7),
        ("värden ... över", 1.0), ("senaste värde*", 0.9), ("latest value*", 0.9),
        ("ändrats", 1.1), ("changing", 1.0), ("utfall*", 0.9), ("outcome*", 0.8),
        ("numbers", 0.8), ("figures", 0.8), ("blivit", 0.8), ("fler", 0.6), ("färre", 0.6),
        ("indikatorn", 0.9), ("vad säger", 0.7),
        ("högre", 0.7), ("lägre", 0.7),
        ("bättre eller sämre", 1.2), ("better or worse", 1.2), ("än i fjol", 1.0),
        ("än ... förra", 1.0), ("compared to", 1.0),
    ),
    Intent.SUMMARY: (
        ("sammanfatt*", 1.2), ("sammanställ*", 1.1), ("summary", 1.2), ("summari*", 1.2),
        ("lägesrapport*", 1.2), ("lägesbild", 1.1), ("översikt", 1.0), ("overview", 1.0),
        ("summer*", 1.1), ("överblick ... avdelning*", 1.2), ("overview ... department", 1.2),
        ("helhetsbild*", 1.1), ("totalbild*", 1.1), ("övergripande", 0.9), ("big picture", 1.0),
        ("sum up", 1.1), ("recap", 1.0), ("summering*", 1.2),
        ("läget ... avdelning*", 1.1), ("rapport om läget", 1.2),
        ("per enhet", 1.0), ("per unit", 1.0),
        ("rundown", 1.0),
    ),
    Intent.LINK_CHANNEL: (
        ("koppla ... kanal*", 1.4), ("kanal* ... till", 1.2), ("anslut ... kanal*", 1.4),
        ("link ... channel", 1.4), ("connect ... channel", 1.4), ("channel to", 1.1),
        ("kanal* ... koppla*", 1.4), ("kanal* ... med", 1.1), ("kanal* ... hör", 1.3),
        ("channel ... belongs", 1.3),
    ),
    Intent.EXPORT: (
        ("export*", 1.2), ("excel*", 1.1), ("ladda ner", 1.1), ("ladda hem", 1.1),
        ("download", 1.1), ("spreadsheet", 1.0), ("kalkyl*", 1.0), ("xls*", 1.1), ("csv", 1.0),
        ("som fil", 0.9), ("få ut", 0.7),
        ("en fil", 0.9), ("file", 0.7),
        ("spara ... fil", 0.9), ("skriv ut", 0.7), ("print", 0.7), ("as a file", 0.9),
    ),
    Intent.UNKNOWN: (
        ("tack för hjälpen", 1.3), ("thanks for the help", 1.3), ("tack för", 1.0),
        ("thanks for", 1.0), ("thank you", 1.0), ("det var allt", 1.1), ("that is all", 1.1),
    ),
    # What waits for the writer's decision: follow-ups to approve. "väntar på mig" alone stays
    # LEFT_TO_REPORT (a unit manager's "vilka uppföljningar väntar på mig"); "väntar något på
    # mig", "godkänna", "approve" are asked by the people who decide.
    Intent.APPROVALS: (
        ("godkänn*", 1.3), ("att godkänna", 1.4), ("godkännande*", 1.3), ("approve", 1.3),
        ("approval*", 1.3), ("approving", 1.3), ("to approve", 1.4), ("sign off", 1.2),
        ("väntar något", 1.3), ("väntar ... på mig", 1.0), ("anything waiting", 1.3),
        ("waiting ... my decision", 1.4), ("väntar ... mitt beslut", 1.4), ("på mitt bord", 1.2),
        ("on my desk", 1.2), ("inskickade uppföljning*", 1.2), ("submitted follow up*", 1.2),
        ("granska*", 0.9), ("to review", 1.0), ("besluta om", 1.0), ("decide on", 1.0),
    ),
    Intent.SNOOZE: (
        ("påminn", 1.3), ("påminna", 1.3), ("påminn mig", 1.3), ("påminnelse*", 0.7), ("skjut upp", 1.3), ("snooz*", 1.3), ("remind*", 1.2),
        ("inte ... nu", 0.9), ("not now", 0.9), ("senare", 0.5), ("later", 0.5),
        ("ta det ... morgon", 1.1), ("ta det ... imorgon", 1.1), ("ta det ... imorn", 1.1),
        ("ta det ... senare", 1.1), ("ta det ... sen", 1.0), ("återkom*", 0.9),
        ("fråga ... senare", 1.1), ("ask ... later", 1.1), ("ping me", 1.0),
        ("inte idag", 0.9), ("not today", 0.9), ("inte tid", 1.0), ("no time", 1.0),
        ("upptagen", 0.9), ("busy", 0.9), ("skjut fram", 1.3), ("postpone", 1.2), ("vänta", 0.7),
        ("nudge", 1.1),
        ("remember me", 1.1),
    ),
}

# Verbs for handing in a follow-up. Each one is a command to report, "not reported" when
# negated ("har ännu inte lämnat in"), "left to report" after "kvar" and a deadline after
# "datum"; listing them once keeps the four intents in step when a synonym is added.
_REPORT_VERBS = (
    "rapport*", "redovis*", "inkomm*", "inskick*", "inlämn*", "lämna* in", "lämna* ... uppföljning*", "lämna* ... rapport*",
    "skicka* in", "fyll* i", "följ* upp", "report*", "submit*", "fill* in", "hand* in", "turn* in",
)


def _with_report_verbs(
    patterns: dict[str, tuple[tuple[str, float], ...]],
) -> dict[str, tuple[tuple[str, float], ...]]:
    derived: dict[str, list[tuple[str, float]]] = {}
    for verb in _REPORT_VERBS:
        derived.setdefault(Intent.REPORT, []).append((verb, 0.8))
        for negation in ("inte", "ej", "not"):
            derived.setdefault(Intent.NOT_REPORTED, []).append((f"{negation} ... {verb}", 1.0))
        derived.setdefault(Intent.LEFT_TO_REPORT, []).append((f"kvar ... {verb}", 1.3))
        derived.setdefault(Intent.DEADLINE, []).append((f"datum ... {verb}", 1.2))
    return {
        label: items + tuple(p for p in derived.get(label, ()) if p[0] not in dict(items))
        for label, items in patterns.items()
    }


_PATTERNS = _with_report_verbs(_PATTERNS)

_GAP = "..."
_MAX_GAP = 3
_UNKNOWN_BELOW = 0.5
_EXTRA_CUE = 0.05
_FULL_SCORE = 1.2  # a pattern this strong means "certain"
# one typo (swap, missing or extra letter) in five letters, two from ten letters on
_TYPO_SIMILARITY = 0.79
_MAX_ENDING = 4  # "rapporterade": an inflection after a stem is at most this long


class _Spec:
    """One pattern word. Interned at compile time, so equality is identity (cheap to hash
    in the per-word sets the matcher works on)."""

    __slots__ = ("text", "prefix")

    def __init__(self, text: str, prefix: bool) -> None:
        self.text = text
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"_Spec({self.text!r}{'*' if self.prefix else ''})"


@dataclass(frozen=True, slots=True)
class _Pattern:
    label: str
    specs: tuple[_Spec | None, ...]  # None = gap
    weight: float


@dataclass(frozen=True, slots=True)
class _Compiled:
    patterns_by_first: dict[_Spec, tuple[_Pattern, ...]]  # only patterns whose first word occurs are tried
    specs_by_text: dict[str, tuple[_Spec, ...]]
    keywords: tuple[str, ...]  # the pattern words, targets of typo correction


def _compile_patterns() -> _Compiled:
    by_first: dict[_Spec, list[_Pattern]] = {}
    by_text: dict[str, set[_Spec]] = {}
    interned: dict[tuple[str, bool], _Spec] = {}
    for label, items in _PATTERNS.items():
        for phrase, weight in items:
            specs: list[_Spec | None] = []
            for word in phrase.split():
                if word == _GAP:
                    specs.append(None)
                    continue
                key = (fold(word.rstrip("*")), word.endswith("*"))
                spec = interned.setdefault(key, _Spec(*key))
                specs.append(spec)
                by_text.setdefault(spec.text, set()).add(spec)
            first = specs[0]
            assert first is not None, phrase
            by_first.setdefault(first, []).append(_Pattern(str(label), tuple(specs), weight))
    return _Compiled(
        patterns_by_first={spec: tuple(ps) for spec, ps in by_first.items()},
        specs_by_text={text: tuple(specs) for text, specs in by_text.items()},
        keywords=tuple(sorted(by_text)),
    )


_COMPILED: _Compiled | None = None


def _compiled() -> _Compiled:
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = _compile_patterns()
    return _COMPILED


_NO_SPECS: frozenset[_Spec] = frozenset()


@lru_cache(maxsize=8192)
def _specs_of(token: str) -> frozenset[_Spec]:
    """The pattern words that match `token` as written ("rapporterat" ~ "rapporter*")."""
    by_text = _compiled().specs_by_text
    found = [
        spec
        for k in range(1, len(token) + 1)
        for spec in by_text.get(token[:k], ())
        if (spec.prefix or k == len(token))
    ]
    if not found:
        # another tense of a pattern verb: "lämnat", "lämnade" ~ "lämna"; "fixade" ~ "fix"
        for ending in _VERB_ENDINGS:
            base = token[: -len(ending)]
            if token.endswith(ending) and len(base) >= _MIN_VERB_BASE:
                for form in (base, base + "a", base + "ar"):
                    found.extend(spec for spec in by_text.get(form, ()) if not spec.prefix)
                if found:
                    break
    return frozenset(found) if found else _NO_SPECS


# not "-ad": "ökad", "minskad" are words of goal names, not "ökar", "minskar"
_VERB_ENDINGS = ("ades", "ade", "ats", "at", "ar", "as", "de", "te", "er", "it", "t", "s", "a")
_MIN_VERB_BASE = 4


@lru_cache(maxsize=8192)
def _specs_with_typos(token: str) -> frozenset[_Spec]:
    """As `_specs_of`, or else the pattern words that end a compound ("tertialuppföljningen"
    ends in "uppföljning*"), or else the pattern words `token` is a likely misspelling of."""
    exact = _specs_of(token)
    if exact:
        return exact
    head = _compound_head(token)
    if head:
        return head
    corrected = _typo_of(token)
    return _specs_of(corrected) if corrected else _NO_SPECS


_MIN_MODIFIER = 3  # "del" in "delrapport"
_MIN_HEAD = 5  # short pattern words ("hej", "graf") end too many unrelated words


@lru_cache(maxsize=8192)
def _compound_head(token: str) -> frozenset[_Spec]:
    """Pattern words a Swedish compound ends in: the last part carries the meaning
    ("tertialuppföljningen", "återrapportera", "excelfilen"). Only tried after names were
    taken, so "budgetavvikelse" stays an indicator, not an "avvik*" cue."""
    for k in range(_MIN_MODIFIER, len(token) - _MIN_HEAD + 1):
        # stems only ("uppföljning*", "kanal*"): a whole word such as "dagar" ends too many
        # compounds ("semesterdagar") that are not about it
        found = [s for s in _specs_of(token[k:]) if s.prefix and len(s.text) >= _MIN_HEAD]
        if found:
            return frozenset(found)
    return _NO_SPECS


def _typo_of(token: str) -> str | None:
    """The word `token` is a likely misspelling of, spelt right ("rappotera" -> "rapportera")."""
    if len(token) < 4 or token.isdigit():
        return None
    compiled = _compiled()
    best_score, best = _TYPO_SIMILARITY, None
    for kw in compiled.keywords:
        # people rarely mistype the first letter; "fattar" is not "rätta"
        if kw[0] != token[0]:
            continue
        if len(kw) < 5:
            # short words: only two letters swapped ("mneu" for "menu")
            if len(kw) == len(token) == 4 and sorted(kw) == sorted(token) and OSA.distance(kw, token) == 1:
                best_score, best = 1.0, kw
            continue
        if any(s.prefix for s in compiled.specs_by_text[kw]):
            # a typo in the stem of an inflected form: "rappotera" ~ "rapporter*" + "a"
            # ... followed by an ending, not by another word ("statsministern" is not "status")
            heads = [token[:k] for k in range(len(kw) - 1, len(kw) + 2) if len(token) - k <= _MAX_ENDING]
        elif abs(len(kw) - len(token)) <= 2:
            heads = [token]
        else:
            continue
        for head in heads:
            score = OSA.normalized_similarity(head, kw)
            if score > best_score:
                best_score, best = score, kw + token[len(head):]
    return best


def _intent_scores(
    words: list[str], blocked: set[int], *, typos: bool
) -> dict[str, tuple[float, set[int]]]:
    """label -> (score, positions of the words that matched its best pattern)."""
    compiled = _compiled()
    specs_of = _specs_with_typos if typos else _specs_of
    slots = [_NO_SPECS if i in blocked else specs_of(w) for i, w in enumerate(words)]
    present = set().union(*slots) if slots else set()
    # a cue read through a typo is weaker evidence than one written out: "slut" may be "sluta"
    guessed = {i for i, w in enumerate(words) if slots[i] and _is_guess(w)} if typos else set()
    hits: dict[str, list[tuple[float, set[int]]]] = {}
    for first in present:
        for pattern in compiled.patterns_by_first.get(first, ()):
            used = _find(pattern.specs, slots)
            if used is not None and used & guessed:
                hits.setdefault(pattern.label, []).append((pattern.weight * _TYPO_DISCOUNT, used))
            elif used is not None:
                hits.setdefault(pattern.label, []).append((pattern.weight, used))
    # the strongest cue decides; each further cue for the same intent adds a little if it
    # explains another word (overlapping phrasings of one cue are still one cue)
    result: dict[str, tuple[float, set[int]]] = {}
    for label, found in hits.items():
        found.sort(key=lambda hit: hit[0], reverse=True)
        score, covered = found[0][0], set(found[0][1])
        for _, used in found[1:]:
            if not used <= covered:
                score += _EXTRA_CUE
                covered |= used
        result[label] = (score, covered)
    return result


_TYPO_DISCOUNT = 0.9


def _is_guess(token: str) -> bool:
    return not _specs_of(token) and not _compound_head(token)


def _find(specs: tuple[_Spec | None, ...], slots: list[frozenset[_Spec]]) -> set[int] | None:
    first = specs[0]
    for start, slot in enumerate(slots):
        if first in slot:
            used = _match_from(specs, 1, slots, start + 1, {start})
            if used is not None:
                return used
    return None


def _match_from(
    specs: tuple[_Spec | None, ...], k: int, slots: list[frozenset[_Spec]], pos: int, used: set[int]
) -> set[int] | None:
    if k == len(specs):
        return used
    spec = specs[k]
    if spec is None:
        for skip in range(_MAX_GAP + 1):
            found = _match_from(specs, k + 1, slots, pos + skip, used)
            if found is not None:
                return found
        return None
    if pos < len(slots) and spec in slots[pos]:
        return _match_from(specs, k + 1, slots, pos + 1, used | {pos})
    return None


# --- periods and goal numbers ---------------------------------------------------------

_ORDINALS = {
    "forsta": 1, "andra": 2, "tredje": 3, "fjarde": 4, "femte": 5, "sjatte": 6,
    "sjunde": 7, "attonde": 8, "nionde": 9, "tionde": 10, "first": 1, "second": 2,
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}
_CARDINALS = {
    "ett": 1, "tva": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "atta": 8,
    "nio": 9, "tio": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_TERTIAL_WORDS = {"1": "T1", "2": "T2", "3": "T3", "ett": "T1", "tva": "T2", "tre": "T3",
                  "one": "T1", "two": "T2", "three": "T3"}
_GOAL_WORDS = {"mal", "malet", "malen", "malnummer", "goal", "goals"}
_NUMBER_WORDS = {"nr", "nummer", "number", "no", "num"}
_PERIOD_PREFIXES = (
    ("delar", "interim"), ("interim", "interim"), ("halvar", "interim"),
    ("arsanalys", "annual"), ("arsrapport", "annual"), ("arsredovisning", "annual"),
    ("arsbokslut", "annual"), ("bokslut", "annual"), ("verksamhetsberattelse", "annual"),
    ("helar", "annual"), ("annual", "annual"),
)
_PERIOD_PHRASES = (
    (("forra", "aret"), "last_year"), (("forra", "ar"), "last_year"), (("i", "fjol"), "last_year"),
    (("forra", "arets"), "last_year"), (("forra", "ars"), "last_year"), (("fjolarets",), "last_year"),
    (("foregaende", "arets"), "last_year"), (("last", "years"), "last_year"),
    (("ifjol",), "last_year"), (("last", "year"), "last_year"),
    (("foregaende", "ar"), "last_year"), (("foregaende", "aret"), "last_year"),
    (("previous", "year"), "last_year"), (("i", "ar"), "this_year"), (("iar",), "this_year"),
    (("this", "year"), "this_year"), (("innevarande", "ar"), "this_year"),
    (("current", "year"), "this_year"), (("year", "end"), "annual"),
)
_PERIOD_PREFIX_STARTS = frozenset(prefix[:2] for prefix, _ in _PERIOD_PREFIXES)
_PERIOD_PHRASES_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase, _period in _PERIOD_PHRASES:
    # folded like the text: "föregående" loses its "ae" to the ä stand-in ("foregande")
    _folded = tuple(fold(w) for w in _phrase)
    _PERIOD_PHRASES_BY_FIRST.setdefault(_folded[0], []).append((_folded, _period))


def _find_period(words: list[str]) -> tuple[str | None, set[int]]:
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "t" and nxt in ("1", "2", "3"):
            return "T" + nxt, {i, i + 1}
        if w.startswith("tertial"):
            if nxt in _TERTIAL_WORDS:
                return _TERTIAL_WORDS[nxt], {i, i + 1}
            prev = words[i - 1] if i else ""
            if _ORDINALS.get(prev) in (1, 2, 3):
                return f"T{_ORDINALS[prev]}", {i - 1, i}
        if w[:2] in _PERIOD_PREFIX_STARTS:
            for prefix, period in _PERIOD_PREFIXES:
                if w.startswith(prefix):
                    return period, {i}
    for i, w in enumerate(words):
        for phrase, period in _PERIOD_PHRASES_BY_FIRST.get(w, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                return period, set(range(i, i + len(phrase)))
    return None, set()


def _find_goal_numbers(words: list[str]) -> tuple[list[int], set[int]]:
    numbers: list[int] = []
    used: set[int] = set()
    for i, w in enumerate(words):
        if w in _GOAL_WORDS:
            j = i + 1
            if j < len(words) and words[j] in _NUMBER_WORDS:
                j += 1
            if j < len(words) and words[j].isdigit() and len(words[j]) <= 4:
                numbers.append(int(words[j]))
                used |= set(range(i, j + 1))
                # "mål 3 och 4", "goals 2, 5 and 7"
                j += 1
                while j + 1 < len(words) and words[j] in ("och", "and", "samt", "eller", "or"):
                    if not words[j + 1].isdigit() or len(words[j + 1]) > 4:
                        break
                    numbers.append(int(words[j + 1]))
                    used |= {j, j + 1}
                    j += 2
                while j < len(words) and words[j].isdigit() and len(words[j]) <= 4:
                    numbers.append(int(words[j]))
                    used.add(j)
                    j += 1
            elif j < len(words) and words[j] in _CARDINALS:  # "mål fyra", "goal two"
                numbers.append(_CARDINALS[words[j]])
                used |= set(range(i, j + 1))
            elif i > 0 and words[i - 1] in _ORDINALS and w in ("malet", "goal"):
                numbers.append(_ORDINALS[words[i - 1]])
                used |= {i - 1, i}
    return numbers, used


# --- names: units, goals, indicators --------------------------------------------------

# English words for Swedish names, so "trend for sick leave" finds "Sjukfrånvaro".
_GLOSSARY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (tuple(fold(en).split()), tuple(fold(sv).split()))
    for en, sv in (
        ("sick leave", "sjukfrånvaro"), ("sickness absence", "sjukfrånvaro"),
        ("staff turnover", "personalomsättning"), ("turnover", "personalomsättning"),
        ("library", "biblioteket"), ("climate impact", "klimatpåverkan"),
        ("climate", "klimat"), ("home care", "hemtjänst"), ("home help", "hemtjänst"),
        ("preschool", "förskola"), ("school", "skola"), ("elderly care", "äldreomsorg"),
        ("nursing home", "äldreboende"), ("youth centre", "fritidsgård"),
        ("youth center", "fritidsgård"), ("satisfied", "nöjda"), ("users", "brukare"),
        ("share", "andel"), ("visitor numbers", "antal besökare"), ("visitors", "besökare"),
        ("visitor", "besökare"), ("number of", "antal"), ("budget deviation", "budgetavvikelse"),
        ("energy", "energi"), ("falls", "fallolyckor"), ("digitalisation", "digitalisering"),
        ("digitalization", "digitalisering"), ("economy", "ekonomi"),
        ("participation", "delaktighet"), ("north", "norr"), ("south", "söder"),
        ("nord", "norr"), ("syd", "söder"), ("väst", "väster"), ("öst", "öster"),
        # everyday Swedish for places
        ("bibblan", "biblioteket"), ("dagis", "förskola"), ("dagiset", "förskolan"),
        ("west", "väster"), ("east", "öster"), ("family centre", "familjecentralen"),
        ("children", "barn"), ("safe", "trygga"), ("relatives", "anhöriga"),
    )
)
_GLOSSARY_BY_FIRST: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _en, _sv in _GLOSSARY:  # in order: "climate impact" is tried before "climate"
    _GLOSSARY_BY_FIRST.setdefault(_en[0], []).append((_en, _sv))

# Words in names that identify nothing ("Ekonomi i balans", "Barn och unga").
_NAME_STOPWORDS = frozenset(
    stem(w)
    for w in (
        "och i en ett for av med som ska sin sig har ha vara till pa den det de att om "
        "bland hos vid inom samt the of and in on to a an alla fler verksamhet verksamheten"
    ).split()
)
# Words of a question that never name a unit, goal or indicator.
_QUESTION_STOPWORDS = frozenset(
    stem(w)
    for w in (
        "och i en ett for av med som ska sin sig har ha vara till pa den det de att om "
        "the of and in on to a an is are for my me our we vi jag mig min mina vara "
        "hur vad vilka vilken vem nar var gar gick ligger ser ut visa show how what which "
        "mal malet malen goal goals enhet enheten enheter enheterna unit units avdelning "
        "avdelningen department forvaltning forvaltningen kanal kanalen channel "
        "uppfoljning uppfoljningen rapport rapporten report period tertial ar aret year "
        "status trend trenden indikator indikatorn indicator vardet value "
        "inte ej not no ja nej yes tack please pls kan can idag nu just da egentligen "
        "totalt generellt allmant overall today now really then over sedan since "
        "malvarde malvardet malvardena indikatorer aktiviteter alla all oss us verksamheten "
        "forra foregande last this denna detta"
    ).split()
)

_MIN_DISTINCTIVE = 0.7  # a name needs one matched word at least this distinctive
_TIE = 0.05


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: str
    entity_id: int
    score: float  # sum over matched words of quality x distinctiveness
    coverage: float  # share of the name's weight that was matched
    positions: frozenset[int]
    quality: float = 1.0  # how closely the matched words match (1 = as written, 0.8 = a prefix)


class _NameIndex:
    """Words of one kind of name (units, goals or indicators), weighted by rarity."""

    def __init__(self, kind: str, names: dict[int, str]) -> None:
        self.kind = kind
        self.words_of: dict[int, tuple[str, ...]] = {}
        doc_freq: dict[str, int] = {}
        for entity_id, name in names.items():
            words = tuple(dict.fromkeys(
                s for s in (stem(t) for t in fold(name).split()) if s not in _NAME_STOPWORDS
            ))
            self.words_of[entity_id] = words
            for w in words:
                doc_freq[w] = doc_freq.get(w, 0) + 1
        n = max(len(names), 1)
        norm = math.log(1 + n)
        # 1.0 for a word in one name; falls toward 0 for words in many names
        self.weight = {w: math.log(1 + n / df) / norm for w, df in doc_freq.items()}
        # a word in at most two names identifies well even in a small vocabulary
        self.distinctive = {
            w for w, df in doc_freq.items() if df <= 2 or self.weight[w] >= _MIN_DISTINCTIVE
        }
        self.entities_with: dict[str, list[int]] = {}
        for entity_id, words in self.words_of.items():
            for w in words:
                self.entities_with.setdefault(w, []).append(entity_id)
        self.sorted_words = sorted(self.entities_with)
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def matches(self, word: str) -> tuple[tuple[str, float], ...]:
        """Name words that `word` (a stemmed query word) may stand for, with quality 0..1."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if word in self.entities_with:
            found[word] = 1.0
        if len(word) >= 4:
            # compounds and inflections: "klimat" ~ "klimatpaverkan", "sjukfranvaron" ~ "sjukfranvaro"
            i = bisect_left(self.sorted_words, word)
            while i < len(self.sorted_words) and self.sorted_words[i].startswith(word):
                if len(word) >= 5 or 2 * len(word) >= len(self.sorted_words[i]):
                    found.setdefault(self.sorted_words[i], 0.8)
                i += 1
            for k in range(4, len(word)):
                if word[:k] in self.entities_with and k >= len(word) - 6:
                    # two letters more is an inflection ("sjukfrånvaron"), more a compound
                    found.setdefault(word[:k], 1.0 if len(word) - k <= 2 else 0.8)
        if len(word) >= 5:
            for name_word, score, _ in process.extract(
                word, self.sorted_words, scorer=fuzz.ratio, score_cutoff=84, limit=5
            ):
                found.setdefault(name_word, 0.9 * score / 100)
        result = tuple(found.items())
        if len(self._cache) < 20000:
            self._cache[word] = result
        return result

    def candidates(self, query: list[tuple[int, str]]) -> list[_Candidate]:
        hits: dict[int, dict[str, tuple[float, int]]] = {}  # entity -> name word -> (q, pos)
        for pos, word in query:
            for name_word, quality in self.matches(word):
                for entity_id in self.entities_with[name_word]:
                    per = hits.setdefault(entity_id, {})
                    if quality > per.get(name_word, (0.0, -1))[0]:
                        per[name_word] = (quality, pos)
        result: list[_Candidate] = []
        for entity_id, per in hits.items():
            if not any(w in self.distinctive for w in per):
                continue
            total = sum(self.weight[w] for w in self.words_of[entity_id])
            score = sum(self.weight[w] * q for w, (q, _) in per.items())
            matched = sum(self.weight[w] for w in per)
            coverage = matched / total if total else 0.0
            positions = frozenset(p for _, p in per.values())
            quality = score / matched if matched else 0.0
            result.append(_Candidate(self.kind, entity_id, score, coverage, positions, quality))
        # among names read from the same words the best wins, ties are ambiguous ("Ekbacken");
        # names read from other words stand on their own ("jämför Ekbacken med Solängen")
        result.sort(key=lambda c: c.score, reverse=True)
        kept: list[_Candidate] = []
        for c in result:
            if all(c.score >= k.score - _TIE for k in kept if k.positions & c.positions):
                kept.append(c)
        return kept


@dataclass(frozen=True, slots=True)
class _Prepared:
    units: _NameIndex
    goals: _NameIndex
    indicators: _NameIndex
    goals_by_number: dict[int, tuple[int, ...]]


_PREPARED: OrderedDict[object, tuple[Vocabulary, _Prepared]] = OrderedDict()
_PREPARED_MAX = 32


def _prepared(vocabulary: Vocabulary) -> _Prepared:
    """Indexes of a vocabulary, built once: found by identity, else by content (callers
    often rebuild an equal Vocabulary from the database on every turn)."""
    hit = _PREPARED.get(id(vocabulary))
    if hit is not None and hit[0] is vocabulary:
        _PREPARED.move_to_end(id(vocabulary))
        return hit[1]
    content = (
        tuple(vocabulary.units.items()),
        tuple(vocabulary.goals.items()),
        tuple(vocabulary.goal_numbers.items()),
        tuple(vocabulary.indicators.items()),
    )
    hit = _PREPARED.get(content)
    if hit is None:
        by_number: dict[int, list[int]] = {}
        for goal_id, number in vocabulary.goal_numbers.items():
            by_number.setdefault(number, []).append(goal_id)
        prepared = _Prepared(
            units=_NameIndex("unit", vocabulary.units),
            goals=_NameIndex("goal", vocabulary.goals),
            indicators=_NameIndex("indicator", vocabulary.indicators),
            goals_by_number={n: tuple(sorted(ids)) for n, ids in by_number.items()},
        )
        hit = (vocabulary, prepared)
        _PREPARED[content] = hit
    _PREPARED.move_to_end(content)
    _PREPARED[id(vocabulary)] = (vocabulary, hit[1])
    while len(_PREPARED) > _PREPARED_MAX:
        _PREPARED.popitem(last=False)
    return hit[1]


def _goal_compound(word: str) -> str | None:
    """The name part of a goal compound: "klimatmålet" -> "klimat", else None."""
    for tail in ("malet", "malen", "mal"):
        if word.endswith(tail) and len(word) - len(tail) >= 4:
            return word[: -len(tail)]
    return None


def _entity_query(words: list[str], skip: set[int]) -> list[tuple[int, str]]:
    """(position, stemmed word) pairs to match against names, English glossed to Swedish."""
    query: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        for en, sv in _GLOSSARY_BY_FIRST.get(words[i], ()):
            if tuple(words[i : i + len(en)]) == en and not skip & set(range(i, i + len(en))):
                query.extend((i, stem(w)) for w in sv)
                i += len(en)
                break
        else:
            if i not in skip:
                word = stem(words[i])
                if word not in _QUESTION_STOPWORDS and len(word) >= 3 and not word.isdigit():
                    query.append((i, word))
                    head = _goal_compound(words[i])
                    if head:
                        query.append((i, stem(head)))
                # a compound or name written apart (dictation, phones): "sjuk frånvaro", "ek backens"
                nxt = words[i + 1] if i + 1 < len(words) else ""
                if (
                    len(words[i]) >= 2 and len(nxt) >= 3 and i + 1 not in skip and word not in _QUESTION_STOPWORDS
                    and stem(nxt) not in _QUESTION_STOPWORDS and not (words[i] + nxt).isdigit()
                ):
                    query.append((i, stem(words[i] + nxt)))
            i += 1
    return query


def _resolve_entities(candidates: list[_Candidate], prefer: str | None) -> list[_Candidate]:
    """Each word of the question names one kind of thing: the best-supported kind wins it."""
    # More words of the question explain it better ("Lindens förskola" is a unit even though
    # a goal mentions "förskolan"); among equals the kind the question is about wins (goals
    # when "mål" is said, indicators in a trend question), then the closer match.
    order = sorted(
        candidates,
        key=lambda c: (len(c.positions), c.kind == prefer, c.score, c.coverage),
        reverse=True,
    )
    accepted: list[_Candidate] = []
    for c in order:
        clash = any(a.kind != c.kind and a.positions & c.positions for a in accepted)
        if not clash:
            accepted.append(c)
    return accepted


def _without_unknown_names(
    accepted: list[_Candidate], words: list[str], explained: set[int]
) -> list[_Candidate]:
    """Drop a match on a generic word that follows a name nobody knows: in "Tussilagons
    förskola" or "Tallbackens skola" the place is unknown, and "förskola" alone must not
    make it a goal about preschools or Björkhagens skola."""
    taken = set().union(*(c.positions for c in accepted)) if accepted else set()
    # words of a name matched in full: "verksamheten" in "hur mår verksamheten på Daglig
    # verksamhet Väster" is that unit's word, not goal 4's ("… av verksamheten")
    named = {stem(words[p]) for c in accepted if len(c.positions) >= 2 for p in c.positions}
    kept = []
    for c in accepted:
        brushed = c.quality < 0.9 and not _goal_compound(words[min(c.positions)])
        if brushed and len(c.positions) == 1 and (
            c.coverage < 0.5 or any(o.kind == c.kind and o.quality >= 0.99 for o in accepted)
        ):
            # only brushed: "verksamhetsplanen" ~ "verksamheten"; "personalen" beside "sjukfrånvaron"
            continue
        word = stem(words[min(c.positions)])
        if len(c.positions) == 1 and c.coverage < 0.5 and any(
            len(word) >= 5 and len(n) >= 5 and (word.startswith(n) or n.startswith(word)) for n in named
        ) and not any(c.positions <= other.positions for other in accepted if other is not c):
            continue
        if len(c.positions) == 1 and c.coverage < 1.0:
            before = min(c.positions) - 1
            w = words[before] if before >= 0 else ""
            if (
                len(w) >= 5 and w.endswith("s") and before not in explained and before not in taken
                and stem(w) not in _QUESTION_STOPWORDS and w not in _OPENING_WORDS
            ):
                continue
        kept.append(c)
    return kept


# --- language ---------------------------------------------------------------------------

_SV_WORDS = frozenset(
    "hur vad vilka vilken vem nar jag vi har ar mal malet malen malens och inte ej att det "
    "till pa med mig min mina kvar visa hej hjalp meny rapportera fortsatt avbryt andra "
    "ligger efter slapar gar gick for status enheter enheten sammanfattning exportera "
    "paminn imorgon morgon senare trenden tack sluta stopp glom kan du ska maste nu "
    "hejsan halla tjena god sista dag datum saknar saknas vara klar koppla kanalen "
    "avdelning avdelningen uppfoljning uppfoljningen lamna dags borja starta over av om "
    "utvecklingen utvecklats ladda ner deadline trend i godkanna godkann vantar".split()
)
_EN_WORDS = frozenset(
    "what whats which who how is are the to my me i do does dos have has left when why "
    "goal goals show help menu report continue resume cancel stop edit change behind "
    "track off doing summary export remind tomorrow later hello hi hey good morning give "
    "link channel connect download units unit status of for this that it can you ask "
    "start submit still need deadline trend chart last year yet havent hasnt missing "
    "never mind please work lagging schedule snooze hows going goes approve approvals approval "
    "waiting anything".split()
)
# Words shared by both languages (or folded to the same form) say nothing about the language.
_SHARED = _SV_WORDS & _EN_WORDS
_ORIGINAL_SV_LETTERS = re.compile(r"[åäöÅÄÖ]")


def _language(raw: str, words: list[str], entity_positions: set[int]) -> str:
    sv = en = 0.0
    raw_words = raw.casefold().split()
    for i, w in enumerate(words):
        if i in entity_positions or w in _SHARED:
            continue
        sv += w in _SV_WORDS
        en += w in _EN_WORDS
    # "för" is Swedish, "for" English; "for" after folding is both.
    for rw in raw_words:
        if rw == "for":
            en += 0.5
        elif rw == "för":
            sv += 0.5
    if not entity_positions and _ORIGINAL_SV_LETTERS.search(raw):
        sv += 0.5  # å/ä/ö outside names; weak, "hi Målkoll" is English
    return "en" if en > sv else "sv"


# --- the frame of the sentence --------------------------------------------------------
#
# The same cue means different things in different sentences: "rapportera" is a command,
# "har jag rapporterat allt?" asks what is left, "har alla enheter rapporterat?" asks who is
# missing and "när ska vi rapportera?" asks for the deadline. The frame is what the sentence
# is: a question or a command, asked about a time, about the writer or about others.

# Openings that carry no intent: greetings, the bot's name, politeness, modal verbs.
_OPENING_WORDS = frozenset(
    "need needs behover maste must "
    "hej hejsan halla hallo hi hey hello malkoll ok okej okay snalla please tack kan kunde "
    "skulle du ni can could would will you jag i vill want to like let us lat oss ska vi nu "
    "bara just och then so yes nej no well jo men ah yo".split()
)
_YES_NO_OPENERS = frozenset("har ar have has is are did".split())
_QUESTION_OPENERS = frozenset(
    "vad vilka vilken vilket vem har ar finns what which who have has is are anything any "
    "did do does".split()
)
_WHEN_WORDS = frozenset({"nar", "when"})
_BEFORE_DATE = frozenset({"fore", "innan", "senast", "before", "by"})
_DATE_WORDS = frozenset(
    "januari februari mars april maj juni juli augusti september oktober november december "
    "january february march may june july august october "
    "mandag tisdag onsdag torsdag fredag monday tuesday wednesday thursday friday".split()
)
_WH_WORDS = frozenset("vad vilka vilken vilket vem nar hur what which who when how".split())
_NEGATIONS = frozenset({"inte", "ej", "not", "aldrig", "never"})
_GROUP_WORDS = frozenset(
    "units unit teams team chefer cheferna managers everyone everybody vem who nagon anyone "
    "somebody someone".split()
)
_GOAL_NOUNS = frozenset({"mal", "malen", "malet", "goal", "goals", "uppfoljningar", "rapporter"})
# "vilka har inte…" is about people, "vilka mål…" about goals
_VERBS_AFTER_WHICH = frozenset(
    "har ar ska saknas saknar behover maste ligger lamnade rapporterade have are has".split()
)
_POSSESSIVES = frozenset({"mina", "min", "my", "vara", "our"})
_SELF_WORDS = frozenset("jag mig min mina mitt vi oss me my mine we us our myself".split())
_ENGLISH_I_VERBS = frozenset(
    "have had need am still do did must should want will would can to report not got already".split()
)
_MODALS = frozenset({"kan", "far", "can", "may", "could"})
_PERSONS = frozenset({"jag", "vi", "i", "we"})
_WISHES = frozenset({"vill", "want", "would", "ska", "skulle", "tanker", "need", "behover"})
_BEFORE = frozenset({"innan", "fore", "before", "until"})
_LEAD_BONUS = 0.3  # an imperative ("byt bedömning…", "update my follow-up") says what is wanted


@dataclass(frozen=True, slots=True)
class _Frame:
    question: bool
    when: bool
    request: bool
    group: bool
    self_: bool
    manner: bool
    yes_no: bool  # "har Hemtjänst Söder rapporterat?"
    wrapper: frozenset[int]  # "kan du hjälpa mig att…", "hur gör jag för att…": politeness around the ask
    lead: int | None  # the first word after the opening, when it may be an imperative


def _frame(raw: str, words: list[str]) -> _Frame:
    lead = next((i for i, w in enumerate(words) if w not in _OPENING_WORDS), None)
    first = words[lead] if lead is not None else ""
    nxt = words[lead + 1] if lead is not None and lead + 1 < len(words) else ""
    when = first in _WHEN_WORDS or (first, nxt) in (("till", "nar"), ("by", "when")) or any(
        a in _BEFORE_DATE and (b.isdigit() or b in _DATE_WORDS) for a, b in zip(words, words[1:])
    )  # "måste jag rapportera före 15 maj?"
    # "hur många enheter har rapporterat" counts; "hur rapporterar jag" asks for instructions
    counting = (first, nxt) in (("hur", "manga"), ("hur", "mycket"), ("how", "many"), ("how", "much"))
    manner = first in ("hur", "how") and not counting
    question = raw.rstrip().endswith("?") or first in _QUESTION_OPENERS or when or counting
    # "kan jag rapportera?" wishes to act; "what do I need to fill in" asks what
    request = first not in _WH_WORDS and any(
        (a in _MODALS and b in _PERSONS) or (a in _PERSONS and b in _WISHES)
        or (a, b) in (("let", "us"), ("lat", "oss"), ("dags", "att"))
        for a, b in zip(words[:4], words[1:5])
    )
    if first in _NEGATIONS:
        lead = None  # "inte nu", "jag vill inte rapportera": a negated verb asks for nothing
    bonus_at = None if first in _WH_WORDS or first in _QUESTION_OPENERS else lead  # an imperative, not "how…"
    group = self_ = False
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        before = words[i - 1] if i else ""
        if (w in _GROUP_WORDS or w.startswith("enhet")) and before in _POSSESSIVES:
            self_ = True  # "alla mina enheter": the writer's own
        elif w in _GROUP_WORDS or w.startswith("enhet"):
            group = True
        elif w == "vilka" and after in _VERBS_AFTER_WHICH:
            group = True
        elif w == "alla" and after not in _GOAL_NOUNS and after not in _POSSESSIVES:
            group = True
        elif w in _SELF_WORDS or (w == "i" and after in _ENGLISH_I_VERBS):
            self_ = True
    return _Frame(
        question, when, request, group, self_, manner, first in _YES_NO_OPENERS, _wrapper(words), bonus_at
    )


_WRAPPERS = (
    ("hjalpa", "mig", "att"), ("hjalpa", "mig", "med"), ("hjalp", "mig", "att"),
    ("hjalp", "mig", "med"), ("help", "me", "to"), ("help", "me", "with"),
    ("hur", "gor", "jag", "for", "att"), ("hur", "gor", "man", "for", "att"),
    ("how", "do", "i"), ("how", "can", "i"),
)


def _wrapper(words: list[str]) -> frozenset[int]:
    """Positions of words that only wrap the real ask: "kan du hjälpa mig att se vilka mål…"."""
    for i, w in enumerate(words):
        for phrase in _WRAPPERS:
            if w == phrase[0] and tuple(words[i : i + len(phrase)]) == phrase and i + len(phrase) < len(words):
                return frozenset(range(i, i + len(phrase)))
    return frozenset()


_REPORTING = frozenset({Intent.REPORT, Intent.LEFT_TO_REPORT, Intent.NOT_REPORTED})
_HELP_INTERJECTION = 1.0  # a question this clear after "hjälp," is what is asked


def _asks_which(words: list[str]) -> str | None:
    """"goals" for "vilka mål…", "which goals…"; "units" for "vilka enheter…"."""
    for a, b in zip(words, words[1:]):
        if a in ("vilka", "which", "what"):
            if b in ("mal", "malen", "goals", "targets", "kpis"):
                return "goals"
            if b.startswith("enhet") or b in ("units", "teams"):
                return "units"
    return None


def _whole_scope(words: list[str]) -> bool:
    """"alla enheter", "hela avdelningen", "all units": the department as a whole."""
    return any(
        (a in ("alla", "all") and (b.startswith("enhet") or b in ("units", "teams")))
        or (a == "hela" and (b.startswith("avdelning") or b.startswith("forvaltning")))
        for a, b in zip(words, words[1:])
    )


def _without(scores: dict[str, tuple[float, set[int]]], label: str) -> dict[str, tuple[float, set[int]]]:
    return {k: v for k, v in scores.items() if k != label}
_COMMANDS = frozenset({Intent.REPORT, Intent.CANCEL, Intent.CONTINUE, Intent.EDIT})


def _reframe(
    label: str,
    scores: dict[str, tuple[float, set[int]]],
    frame: _Frame,
    words: list[str],
    names_unit: bool,
    names_period: bool = False,
) -> str:
    """The intent a cue stands for in this kind of sentence."""
    others = sorted(
        ((score, other) for other, (score, _) in scores.items() if other != label), reverse=True
    )
    runner_up = others[0][1] if others and others[0][0] >= _UNKNOWN_BELOW else None
    used = scores[label][1]
    if label == Intent.GREETING and runner_up and not used & scores[runner_up][1]:
        # "God morgon! Hur ligger vi till med mål 6?": the greeting opens the question
        return _reframe(runner_up, _without(scores, label), frame, words, names_unit, names_period)
    if label == Intent.HELP and runner_up and (
        used <= frame.wrapper or (len(used) == 1 and min(used) == 0 and others[0][0] >= _HELP_INTERJECTION)
    ):
        # "kan du hjälpa mig att se vilka mål…", "hur gör jag för att exportera…", and a cry
        # for help before the question: "hjälp, vad måste jag göra innan fredag?"
        return _reframe(runner_up, _without(scores, label), frame, words, names_unit, names_period)
    if label == Intent.REPORT and frame.manner and not frame.wrapper:
        return Intent.HELP  # "hur rapporterar jag?"
    if label == Intent.REPORT and frame.question:
        if frame.when:
            return Intent.DEADLINE  # "when do we have to submit the interim report"
        if frame.request:
            return Intent.REPORT  # "kan jag rapportera nu?"
        if frame.group or (frame.yes_no and names_unit and not frame.self_):
            return Intent.NOT_REPORTED  # "har alla enheter rapporterat?", "har Solrosen rapporterat?"
        return Intent.LEFT_TO_REPORT  # "har jag missat att rapportera något?"
    if label == Intent.SNOOZE and frame.group and not {"mig", "me", "oss", "us"} & set(words):
        return Intent.NOT_REPORTED  # "vem behöver jag påminna om T2": others to remind
    if label in _COMMANDS and frame.when:
        return Intent.DEADLINE  # "när är det stopp för rapporteringen"
    if label == Intent.NOT_REPORTED and frame.self_ and not frame.group:
        return Intent.LEFT_TO_REPORT  # "vad har jag inte lämnat in"
    if label == Intent.LEFT_TO_REPORT and frame.group and not frame.self_:
        return Intent.NOT_REPORTED  # "vilka enheter har kvar att rapportera"
    if label == Intent.BEHIND and frame.group and (any(k in scores for k in _REPORTING) or names_period):
        return Intent.NOT_REPORTED  # "vilka chefer ligger efter med uppföljningen", "… med T2"
    if label == Intent.DEADLINE and Intent.LEFT_TO_REPORT in scores:
        # "vad återstår innan deadline": the deadline is when, what is left is asked
        if all(i > 0 and words[i - 1] in _BEFORE for i in used):
            return Intent.LEFT_TO_REPORT
    return label


# --- the recognizer ---------------------------------------------------------------------

_FREE_TEXT_WORDS = 8
_FREE_TEXT_SHARE = 0.25
_NAME_ONLY_UNEXPLAINED = 2  # "kan du skicka fakturan till ekonomi" is not about goal 6
_MAX_CHARS = 500  # longer messages are pasted documents; their start is what they ask
_ONLY_QUESTION = re.compile(r"^\s*\?+\s*$")
_EMPTY = Vocabulary()


def recognize(text: str, vocabulary: Vocabulary | None = None) -> Recognition:
    """What the user wants and which units, goals, indicators and period they mean."""
    return _recognize(text, vocabulary)[0]


def model_tokens(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """The words of `text` as dialogs/intent_model.py sees them (names as their kind)."""
    return _recognize(text, vocabulary, want_tokens=True)[1]


def _recognize(
    text: str, vocabulary: Vocabulary | None, *, want_tokens: bool = False
) -> tuple[Recognition, list[str]]:
    raw = without_mentions((text or "")[:_MAX_CHARS])
    if _ONLY_QUESTION.match(raw):
        return Recognition(Intent.HELP, 1.0, "sv"), ["?"]
    words = standard_words(fold(raw).split())
    prepared = _prepared(vocabulary if vocabulary is not None else _EMPTY)

    period, period_positions = _find_period(words)
    numbers, number_positions = _find_goal_numbers(words)
    blocked = period_positions | number_positions
    # "andra tertialet" is T2, not "ändra"; period nouns ("delårsrapporten") still say something
    not_cues = number_positions | {
        i for i in period_positions if words[i] in _ORDINALS or words[i] in _TERTIAL_WORDS
    }
    # Names are looked for among the words that are not keywords as written; a word that only
    # resembles a keyword ("gruppboende" ~ "graf") may still be part of a name.
    exact = _intent_scores(words, not_cues, typos=False)
    keyword_positions: set[int] = set()
    for _, used in exact.values():
        keyword_positions |= used

    # goal numbers beat goal names: "mål 3" is unambiguous where the name may not be
    goal_ids: list[int] = []
    for n in numbers:
        goal_ids.extend(prepared.goals_by_number.get(n, ()))
    query = _entity_query(words, blocked | keyword_positions)
    candidates = prepared.units.candidates(query) + prepared.indicators.candidates(query)
    if not numbers:
        candidates += prepared.goals.candidates(query)
    # "målet om …", "klimatmålet", "the goal on …" point at one goal's name; "vilka mål" does not
    mentions_goal = any(w in ("malet", "goal") or _goal_compound(w) for w in words)
    best_label = max(exact, key=lambda k: exact[k][0]) if exact else None
    prefer = "indicator" if best_label == Intent.TREND else "goal" if mentions_goal else None
    accepted = _resolve_entities(candidates, prefer)
    accepted = _without_unknown_names(accepted, words, blocked | keyword_positions)

    unit_ids = tuple(sorted(c.entity_id for c in accepted if c.kind == "unit"))
    indicator_ids = tuple(sorted(c.entity_id for c in accepted if c.kind == "indicator"))
    goal_ids.extend(c.entity_id for c in accepted if c.kind == "goal")
    goal_tuple = tuple(sorted(set(goal_ids)))
    entity_positions = set().union(*(c.positions for c in accepted)) if accepted else set()
    scores = _intent_scores(words, not_cues | entity_positions, typos=True)
    frame = _frame(raw, words)
    if frame.lead is not None:
        for label, (score, used) in scores.items():
            if frame.lead in used:
                scores[label] = (score + _LEAD_BONUS, used)

    explained = blocked | entity_positions
    for _, used in scores.values():
        explained |= used
    unexplained_at = [
        i for i, w in enumerate(words)
        if i not in explained and stem(w) not in _QUESTION_STOPWORDS and w not in _OPENING_WORDS
        and not _goal_compound(w)  # "nämndmålen": goals of a kind, not a name we do not know
    ]
    unexplained = len(unexplained_at)
    # "hur går det för Tussilagon" with no such unit in scope is still about a unit: the
    # dialog says it does not know it (or that it is not yours) rather than answering
    # about the user's own goals
    status_cue = scores.get(_STATUS, (0.0, set()))[1]
    unknown_name = bool(status_cue) and any(i > max(status_cue) for i in unexplained_at)
    cue_decided = any(score >= _UNKNOWN_BELOW for score, _ in scores.values())
    guessed = None
    if not cue_decided and unexplained and len(words) <= _MODEL_MAX_WORDS:
        # No cue decided but there is more than names: the phrasings learnt from the labelled
        # set may know the other words ("vilka indikatorer når … målvärdet på Lindens")
        guessed = _model_guess(_model_tokens(words, _kinds(accepted, period_positions, number_positions)))
    intent, score = _choose_intent(
        scores, frame, words, goal_tuple, unit_ids, indicator_ids, bool(numbers),
        unknown_name=unknown_name, unexplained=unexplained, period=period,
        weak_names=bool(accepted) and all(c.coverage < 0.5 and c.quality < 0.9 for c in accepted),
    )
    if guessed is not None:
        intent, score = guessed, _MODEL_SCORE
    tokens = _model_tokens(words, _kinds(accepted, period_positions, number_positions)) if want_tokens else []
    if intent is Intent.UNKNOWN and not scores:
        # names among words that say nothing else are not a question about those names
        unit_ids = indicator_ids = goal_tuple = ()
    # A command explains most of its words; a pasted analysis ("vi fick avbryta projektet
    # på grund av …") only brushes a keyword. Unexplained words lower the score, and free
    # text is not taken as a command at all (the labelled commands leave at most 3 over).
    if intent is not Intent.UNKNOWN and unexplained >= _FREE_TEXT_WORDS and (
        len(explained) / (len(explained) + unexplained) < _FREE_TEXT_SHARE
    ):
        intent, score = Intent.UNKNOWN, 0.5
    elif intent is not Intent.UNKNOWN:
        score /= 1 + 0.15 * max(0, unexplained - 2)
    recognition = Recognition(
        intent=intent,
        score=score,
        language=_language(raw, words, entity_positions),
        unit_ids=unit_ids,
        goal_ids=goal_tuple,
        indicator_ids=indicator_ids,
        period=period,
    )
    return recognition, tokens


_MODEL_MAX_WORDS = 25  # longer text is an analysis being written, not a question
_MODEL_SURE = 0.8
_MODEL_KNOWN = 2  # content words the model has seen, besides names
_MODEL_SCORE = 0.55  # below main_dialog's bar for "a clear question" while reporting


def _kinds(accepted: list[_Candidate], period_positions: set[int], number_positions: set[int]) -> dict[int, str]:
    kinds = {i: "period" for i in period_positions} | {i: "goal" for i in number_positions}
    for c in accepted:
        kinds.update((i, c.kind) for i in c.positions)
    return kinds


def _model_guess(tokens: list[str]) -> Intent | None:
    """The learnt model's intent, when it is sure and knows enough of the words."""
    guess = intent_model().guess(tokens)
    if guess is None or guess.label == Intent.UNKNOWN or guess.probability < _MODEL_SURE:
        return None
    # "vad är klockan" shares only "vad är" with the questions: function words do not count
    content = {t for t in guess.known if t not in _QUESTION_STOPWORDS and t not in _OPENING_WORDS}
    return Intent(guess.label) if len(content) >= _MODEL_KNOWN else None


def _model_tokens(words: list[str], kinds: dict[int, str]) -> list[str]:
    """Stemmed words, a name as "@" + its kind, the pattern words a word was read as
    (typos corrected, compounds split), and neighbouring pairs."""
    unigrams: list[str] = []
    extra: list[str] = []
    for i, w in enumerate(words):
        kind = kinds.get(i)
        if kind:
            token = "@" + kind
            if unigrams and unigrams[-1] == token:
                continue  # "Solrosens förskola" is one name
            unigrams.append(token)
            continue
        unigrams.append(stem(w))
        extra.extend(sorted({"=" + spec.text for spec in _specs_with_typos(w)} - {"=" + w}))
    pairs = [f"{a}_{b}" for a, b in zip(["^", *unigrams], unigrams)]
    return unigrams + extra + pairs


def _choose_intent(
    scores: dict[str, tuple[float, set[int]]],
    frame: _Frame,
    words: list[str],
    goal_ids: tuple[int, ...],
    unit_ids: tuple[int, ...],
    indicator_ids: tuple[int, ...],
    numbered_goal: bool,
    *,
    unknown_name: bool,
    unexplained: int,
    period: str | None,
    weak_names: bool,
) -> tuple[Intent, float]:
    has_goal = bool(goal_ids) or numbered_goal
    ranked = sorted(((s, label) for label, (s, _) in scores.items()), reverse=True)
    if (not ranked or ranked[0][0] < _UNKNOWN_BELOW) and frame.when and period:
        return Intent.DEADLINE, 0.6  # "när är T2?", "when's the interim report"
    if (not ranked or ranked[0][0] < _UNKNOWN_BELOW) and not (goal_ids or unit_ids or indicator_ids):
        # "vilka mål?", "which goals need attention?": the question most asked about goals;
        # "vilka enheter?": which units have not reported
        which = _asks_which(words)
        if which == "goals":
            return Intent.BEHIND, 0.6
        if which == "units":
            return Intent.NOT_REPORTED, 0.6
    if not ranked or ranked[0][0] < _UNKNOWN_BELOW:
        # only a name: "Solrosens förskola", "mål 7", "andel nöjda brukare"; or a question
        # about one ("hur många fallolyckor hade Ekbacken i T1?"). Not a name among other
        # words nothing explains ("kan du skicka fakturan till ekonomi"), nor a name that is
        # only brushed ("meningen" is not "Fler unga ska ha en meningsfull fritid").
        if weak_names or (unexplained >= _NAME_ONLY_UNEXPLAINED and not frame.question):
            return Intent.UNKNOWN, 1.0 - (ranked[0][0] if ranked else 0.0)
        if has_goal:
            return Intent.GOAL_STATUS, 0.6
        if indicator_ids:
            return Intent.TREND, 0.6  # "andel trygga barn Solrosen": the indicator at the unit
        if unit_ids:
            return Intent.UNIT_STATUS, 0.6
        return Intent.UNKNOWN, 1.0 - (ranked[0][0] if ranked else 0.0)
    best, label = ranked[0]
    confidence = min(1.0, best / _FULL_SCORE)
    label = _reframe(label, scores, frame, words, bool(unit_ids), period is not None)
    if label == _STATUS:
        if has_goal:
            return Intent.GOAL_STATUS, confidence
        if indicator_ids:
            return Intent.TREND, confidence  # "hur går det med sjukfrånvaron på Solängen"
        if unit_ids:
            return Intent.UNIT_STATUS, confidence
        if _whole_scope(words):
            return Intent.SUMMARY, confidence  # "hur går det för alla enheter"
        if unknown_name:
            return Intent.UNIT_STATUS, confidence
        return Intent.BEHIND, confidence
    if label == Intent.BEHIND and has_goal:
        return Intent.GOAL_STATUS, confidence  # "ligger mål 3 efter?"
    if label == Intent.TREND and has_goal and not indicator_ids:
        return Intent.GOAL_STATUS, confidence  # "how's goal 5 trending?": a goal has a status
    if label == Intent.TREND and unit_ids and not indicator_ids and (_STATUS in scores or len(unit_ids) >= 2):
        # "hur ligger Björkhagen till jämfört med i fjol", "jämför Ekbacken med Solängen"
        return Intent.UNIT_STATUS, confidence
    if label == Intent.TREND and not indicator_ids and _asks_which(words) == "goals":
        return Intent.BEHIND, confidence  # "vilka mål har haft negativ utveckling"
    if label == _STATUS and _whole_scope(words):
        return Intent.SUMMARY, confidence
    return Intent(label), confidence
