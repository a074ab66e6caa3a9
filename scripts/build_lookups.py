"""Build the Rasa lookup tables bot/data/lookups/{roles,skills}.yml.

Two steps:

* ``extract --esco-dir DIR`` (maintainer step, run once when the ESCO selection changes): copies the
  allow-listed rows of the German ESCO CSVs (all columns, incl. the ESCO URI) into ``third_party/esco/``.
* ``build`` (default): reads only ``third_party/esco/`` plus the hand-written municipal terms below and
  writes the two lookup files. Its output is committed; nothing here runs when the bot starts.

Lookups feed the RegexFeaturizer, so entries must be phrases a user would literally type. They are kept
to a few hundred entries because every entry becomes part of one regex evaluated on each message.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
THIRD_PARTY = REPO / "third_party" / "esco"
LOOKUP_DIR = REPO / "bot" / "data" / "lookups"

# (source file, subset file) pairs.
SUBSETS = {
    "occupations": ("escoOccupations.csv", "occupations_public_admin.csv"),
    "knowledge": ("escoKnowledge.csv", "knowledge_public_admin.csv"),
    "transversal": ("escoTransversal.csv", "transversal_public_admin.csv"),
}

# ESCO occupations (prefLabel_de) that occur in German municipal administrations.
OCCUPATIONS = (
    "Archivar/Archivarin",
    "Beauftragter für Gleichstellung und Inklusion/Beauftragte für Gleichstellung und Inklusion",
    "Bibliothekar/Bibliothekarin",
    "Bibliotheksassistent/Bibliotheksassistentin",
    "Buchhalter/Buchhalterin",
    "Bürgermeister/Bürgermeisterin",
    "Controller/Controllerin",
    "Datenschutzbeauftragter/Datenschutzbeauftragte",
    "Digitalisierungsmanager/Digitalisierungsmanagerin",
    "Dokumentationsfachkraft",
    "EU-Fondsmanager/EU-Fondsmanagerin",
    "Fachkraft für öffentliches Beschaffungswesen",
    "Feuerwehrkommandant/Feuerwehrkommandantin",
    "Finanzreferent in der öffentlichen Verwaltung/Finanzreferentin in der öffentlichen Verwaltung",
    "Führungskraft im Gebäudemanagement",
    "Führungskraft im Personalwesen",
    "IT-Leiter/IT-Leiterin",
    "IT-Projektmanager/IT-Projektmanagerin",
    "IT-Sicherheitsleiter/IT-Sicherheitsleiterin",
    "IT-Systemadministrator/IT-Systemadministratorin",
    "Jugendzentrumsleiter/Jugendzentrumsleiterin",
    "Kommunikationsmanager/Kommunikationsmanagerin",
    "Koordinator für Kinderbetreuungsdienste/Koordinatorin für Kinderbetreuungsdienste",
    "Leiter der betrieblichen Aus- und Weiterbildung/Leiterin der betrieblichen Aus- und Weiterbildung",
    "Leiter einer Kindertagesstätte/Leiterin einer Kindertagesstätte",
    "Leiter im öffentlichen Dienst/Leiterin im öffentlichen Dienst",
    "Lohn- und Gehaltsbuchhalter/Lohn- und Gehaltsbuchhalterin",
    "Manager für öffentlichen und sozialen Wohnungsbau/Managerin für öffentlichen und sozialen Wohnungsbau",
    "Personalsachbearbeiter/Personalsachbearbeiterin",
    "Projektmanager/Projektmanagerin",
    "Public-Relations-Manager/Public-Relations-Managerin",
    "Raumplaner/Raumplanerin",
    "Referent/Referentin",
    "Sachbearbeiter für den Bereich Zwangsvollstreckung/Sachbearbeiterin für den Bereich Zwangsvollstreckung",
    "Sachbearbeiter für Passangelegenheiten/Sachbearbeiterin für Passangelegenheiten",
    "Schulsozialarbeiter/Schulsozialarbeiterin",
    "Sekretär/Sekretärin",
    "Sozialarbeiter im Bereich Kinder- und Jugendhilfe/Sozialarbeiterin im Bereich Kinder- und Jugendhilfe",
    "Sozialarbeiter/Sozialarbeiterin",
    "Sozialpädagoge/Sozialpädagogin",
    "Stadt- und Regionalplaner/Stadt- und Regionalplanerin",
    "Stadtteilentwickler/Stadtteilentwicklerin",
    "Stadtverordneter/Stadtverordnete",
    "Standesbeamter/Standesbeamtin",
    "Steuersachbearbeiter/Steuersachbearbeiterin",
    "Teamleiter im Bereich Sozialarbeit/Teamleiterin im Bereich Sozialarbeit",
    "Verkehrsplaner/Verkehrsplanerin",
    "Verkehrsüberwacher/Verkehrsüberwacherin",
    "Verwaltungsassistent/Verwaltungsassistentin",
    "Verwaltungsbeamter/Verwaltungsbeamtin",
    "Zulassungssachbearbeiter/Zulassungssachbearbeiterin",
    "Zuschussverwalter/Zuschussverwalterin",
)

# ESCO knowledge concepts (prefLabel_de) relevant to administrative work.
KNOWLEDGE = (
    "Arbeitsrecht",
    "Arbeitsschutz",
    "Asylsysteme",
    "Bauvorschriften",
    "Buchführung",
    "Bürosoftware",
    "DSGVO",
    "Datenschutz",
    "Digitalisierung",
    "EU-Recht",
    "Einwanderungsrecht",
    "Finanzmanagement",
    "Führungsprinzipien",
    "Geschäftsprozessmodellierung",
    "Gesetzgebung im Bereich Stadtplanung",
    "Gewerberecht",
    "Grundlagen der künstlichen Intelligenz",
    "Haushaltsgrundsätze",
    "IKT-Sicherheitsgesetzgebung",
    "IKT-Zugänglichkeitsnormen",
    "IuK-Dokumentenmanagement",
    "Kinderschutz",
    "Kommunikation",
    "Kommunikationsgrundsätze",
    "Konfliktmanagement",
    "Kostenmanagement",
    "Kundendienst",
    "Maßnahmen gegen Cyberangriffe",
    "Mehrwertsteuergesetz",
    "Migration",
    "Online-Moderationstechniken",
    "Personalmanagement",
    "Personalwesen",
    "Prinzipien der Jugendarbeit",
    "Prinzipien des Projektmanagements",
    "Projektmanagement-Methode (PM²)",
    "Prince2-Projektmanagement",
    "Raumplanung",
    "Rechtsvorschriften für das Bauwesen",
    "Rechtsvorschriften im sozialen Sektor",
    "Social Media Management",
    "Sozialpädagogik",
    "Sozialversicherungsrecht",
    "Staatsfinanzen",
    "Stadtplanung",
    "Statistik",
    "Steuerrecht",
    "Strategie für Informationssicherheit",
    "Straßenverkehrsrecht",
    "Umweltrecht",
    "Urheberrecht",
    "Vergaberecht",
    "Vergabezyklus",
    "Verfahrensrecht",
    "Verfassungsrecht",
    "Vertraulichkeit von Informationen",
    "Vorschriften über den Zugang der Öffentlichkeit zu Dokumenten",
    "Wissensmanagement",
    "agiles Projektmanagement",
    "elektronisches Beschaffungswesen",
    "kollektives Arbeitsrecht",
    "Öffentliche Verwaltung",
    "Öffentlichkeitsarbeit",
    "öffentliches Recht",
)

# ESCO transversal skills are verb phrases ("Konfliktmanagement anwenden"); users type the noun, so each
# selected concept lists the phrases that go into the lookup table.
TRANSVERSAL = {
    "Diskussionen moderieren": ("Moderation", "Diskussionen moderieren"),
    "Feedback verwalten": ("Feedback",),
    "Kundenbeschwerden bearbeiten": ("Beschwerdemanagement", "Kundenbeschwerden"),
    "Mitarbeiter und Mitarbeiterinnen motivieren": ("Mitarbeitermotivation", "Motivation"),
    "Mitarbeiter/Mitarbeiterinnen coachen": ("Coaching",),
    "Planen und Organisieren": ("Planen und Organisieren", "Arbeitsorganisation"),
    "Präsentationssoftware verwenden": ("PowerPoint", "Präsentationssoftware"),
    "Selbstreflexion vornehmen": ("Selbstreflexion",),
    "Stress standhalten": ("Stressbewältigung", "Umgang mit Stress"),
    "Tabellenkalkulationsprogramme verwenden": ("Excel", "Tabellenkalkulation"),
    "Teamarbeit verwalten": ("Teamarbeit",),
    "Teamentwicklung fördern": ("Teamentwicklung",),
    "Zeit- und Terminplan führen": ("Zeitmanagement", "Terminplanung"),
    "analoge Dokumente in ein digitales Format konvertieren": ("Digitalisierung von Akten", "Scannen"),
    "mit schwierigen Kunden und Kundinnen umgehen": ("Umgang mit schwierigen Kunden", "schwierige Gespräche"),
    "sich an Veränderungen anpassen": ("Veränderungskompetenz",),
}

# Hand-written municipal roles: units (Ämter) and job titles, both genders where they differ. The employer
# as a whole (Rathaus, Stadtverwaltung, Landratsamt) is deliberately absent: it is not annotated as a role.
MUNICIPAL_ROLES = """
Bürgeramt | Bürgerbüro | Bürgerservice | Bürgerdienste | Einwohnermeldeamt | Meldebehörde
Kämmerei | Stadtkasse | Gemeindekasse | Kreiskasse | Steueramt
Vollstreckungsstelle | Vollstreckungsinnendienst
Ordnungsamt | Kommunaler Ordnungsdienst | Vollzugsdienst | Gewerbeamt | Straßenverkehrsbehörde
Zulassungsstelle | Führerscheinstelle | Bußgeldstelle
Bauamt | Bauaufsicht | Bauordnungsamt | Stadtplanungsamt | Planungsamt | Tiefbauamt | Hochbauamt | Bauhof
Grünflächenamt | Umweltamt | Liegenschaftsamt | Gebäudemanagement | Friedhofsverwaltung
Jugendamt | Allgemeiner Sozialer Dienst | ASD | Sozialamt | Jobcenter | Wohngeldstelle | Elterngeldstelle
Ausländerbehörde | Standesamt | Gesundheitsamt | Veterinäramt
Hauptamt | Personalamt | Personalabteilung | Personalverwaltung | Organisationsamt | Organisationsabteilung
IT-Abteilung | IT-Koordination | Rechnungsprüfungsamt | Rechtsamt | Vergabestelle | Zentrale Vergabestelle
Zentraler Einkauf | Beschaffungsstelle | Controlling | Registratur | Poststelle
Schulamt | Schulverwaltung | Kulturamt | Stadtbibliothek | Bibliothek | Stadtarchiv | Volkshochschule
Kita | Kindertagesstätte | Kita-Leitung | Kitaleitung
Wirtschaftsförderung | Pressestelle | Öffentlichkeitsarbeit | Ratsbüro | Sitzungsdienst | Bürgermeisterbüro
Feuerwehr
Sachbearbeiter | Sachbearbeiterin | Sachbearbeitung
Verwaltungsfachangestellter | Verwaltungsfachangestellte | Verwaltungsfachwirt | Verwaltungsfachwirtin
Verwaltungswirt | Verwaltungswirtin | Beamter | Beamtin | Tarifbeschäftigte | Beschäftigte
Auszubildender | Auszubildende | Azubi | Praktikant | Praktikantin | Trainee
Quereinsteiger | Quereinsteigerin
Inspektoranwärter | Inspektoranwärterin | Anwärter | Anwärterin | Dualer Student | Duale Studentin
Amtsleiter | Amtsleiterin | Amtsleitung | Abteilungsleiter | Abteilungsleiterin | Abteilungsleitung
Fachbereichsleiter | Fachbereichsleiterin | Fachbereichsleitung | Fachdienstleiter | Fachdienstleiterin
Sachgebietsleiter | Sachgebietsleiterin | Sachgebietsleitung | Teamleiter | Teamleiterin | Teamleitung
Führungskraft | Führungskräfte | Dezernent | Dezernentin | Beigeordneter | Beigeordnete
Oberbürgermeister | Oberbürgermeisterin | Landrat | Landrätin | Kämmerer | Kämmerin
Kassenverwalter | Kassenverwalterin | Vollziehungsbeamter | Vollziehungsbeamtin
Erzieher | Erzieherin | Kitaleiter | Kitaleiterin
IT-Koordinator | IT-Koordinatorin | IT-Administrator | IT-Administratorin
Digitalisierungsbeauftragter | Digitalisierungsbeauftragte | Informationssicherheitsbeauftragter
Informationssicherheitsbeauftragte | Gleichstellungsbeauftragte | Integrationsbeauftragter
Integrationsbeauftragte
Personalreferent | Personalreferentin | Personalrat | Personalratsvorsitzender | Personalratsvorsitzende
Assistenz der Amtsleitung | Vorzimmer | Pressesprecher | Pressesprecherin
Haushaltssachbearbeiter | Haushaltssachbearbeiterin | Vergabesachbearbeiter | Vergabesachbearbeiterin
Leistungssachbearbeiter | Leistungssachbearbeiterin | Fallmanager | Fallmanagerin
Klimaschutzmanager | Klimaschutzmanagerin | Wirtschaftsförderer | Wirtschaftsförderin
Ausbildungsleiter | Ausbildungsleiterin | Ausbilder | Ausbilderin | Ausbildungsbeauftragte
Hausmeister | Hausmeisterin | Bauingenieur | Bauingenieurin | Stadtplaner | Stadtplanerin
"""

# Hand-written skill topics of municipal continuing education (law, finance, digital, soft skills).
MUNICIPAL_SKILLS = """
Excel | Word | Outlook | PowerPoint | Microsoft Teams | Teams | MS Office | Office | Videokonferenzen
E-Akte | elektronische Akte | Dokumentenmanagement | DMS | OZG | Onlinezugangsgesetz | E-Government
Registermodernisierung | XÖV | FIM | Digitalisierung | digitale Verwaltung | Open Data
Datenschutz | DSGVO | Datenschutz-Grundverordnung | Informationssicherheit | IT-Sicherheit | Cybersicherheit
IT-Grundschutz | Phishing | Künstliche Intelligenz | KI | ChatGPT | Prompting
Barrierefreiheit | barrierefreie Dokumente | Leichte Sprache | Einfache Sprache | bürgernahe Sprache
Verwaltungsrecht | Allgemeines Verwaltungsrecht | Verwaltungsverfahrensrecht | VwVfG | Bescheide
Bescheidtechnik | Bescheide schreiben | Widerspruchsverfahren | Widerspruchsbescheid | Anhörung | Ermessen
Kommunalrecht | Gemeindeordnung | Kommunalverfassungsrecht | Haushaltsrecht | Gemeindehaushaltsrecht
Doppik | kommunale Doppik | NKF | Haushaltsplanung | Jahresabschluss | Anlagenbuchhaltung
Kosten- und Leistungsrechnung | KLR | Controlling | Umsatzsteuer | 2b UStG | Kassenrecht
Vollstreckungsrecht | Vergaberecht | UVgO | VOB | Beschaffung | Ausschreibungen | Fördermittel
Fördermittelmanagement | Zuwendungsrecht | Baurecht | Bauplanungsrecht | Bauordnungsrecht | BauGB
Bauleitplanung | Ordnungswidrigkeitenrecht | OWiG | Ordnungsrecht | Gefahrenabwehr | Gewerberecht
Melderecht | Passrecht | Personenstandsrecht | Namensrecht | Staatsangehörigkeitsrecht | Aufenthaltsrecht
Ausländerrecht | Asylrecht | Sozialrecht | SGB II | SGB VIII | SGB XII | Kinder- und Jugendhilferecht
Kinderschutz | Wohngeld | Elterngeld | Unterhaltsvorschuss | TVöD | Tarifrecht | Beamtenrecht
Arbeitsrecht | Personalvertretungsrecht | Reisekostenrecht | Besoldung | Entgeltabrechnung
Personalentwicklung | Personalgewinnung | Onboarding | Mitarbeitergespräche | Führung | Mitarbeiterführung
Führungskompetenz | Teamführung | Gesundes Führen | Führen auf Distanz | Delegieren | Konfliktlösung
Deeskalation | Gesprächsführung | Telefonkommunikation | Kundenorientierung | Bürgerorientierung
Präsentation | Präsentationstechniken | Rhetorik | Sitzungsleitung | Protokollführung | Gremienarbeit
Ratsinformationssystem | Selbstorganisation | Resilienz | Gesundheitsmanagement | Achtsamkeit
Projektmanagement | agiles Arbeiten | Scrum | Kanban | Prozessmanagement | Prozessmodellierung | BPMN
Change Management | Veränderungsmanagement | Qualitätsmanagement | Organisationsentwicklung
Interkulturelle Kompetenz | Diversity | Gleichstellung | Antidiskriminierung | Social Media
Pressearbeit | Krisenkommunikation | Bürgerbeteiligung | Nachhaltigkeit | Klimaschutz | Brandschutz
Korruptionsprävention | Compliance | Informationsfreiheit | Schriftgutverwaltung | Aktenführung
Datenanalyse | Statistik
"""

# ESCO alternative labels that are foreign (Swiss, Austrian, Danish) or not municipal jobs.
EXCLUDE_TERMS = """
Ammann | Gemeindeammann | Stadtammann | Gemeindepräsident | Gemeindepräsidentin | Stadtpräsident
Stadtpräsidentin | Smart Byplanlægger | Kopist | Kopistin | Kopierkraft | Kaufmannsgehilfe | Kaufmannsgehilfin
Karteiführer | Karteiführerin | Karteibearbeiter | Karteibearbeiterin | Juniorkäufer | Juniorkäuferin
Straßenaufsichtsorgan | Lohnverrechner | Lohnverrechnerin | Gehaltsverrechner | Gehaltsverrechnerin
Universitätsbibliothekar | Universitätsbibliothekarin | Musikbibliothekar | Musikbibliothekarin
Hilfspolizist | Hilfspolizistin | Steuergehilfe | Steuergehilfin | Raumforscher | Raumforscherin
Grundlagen der Automatisierung intelligenten Verhaltens
"""
MAX_WORDS = 5
_DROP = re.compile(r"[()\[\]/]|nicht näher definiert|nirgendwo sonst")


def split_terms(block: str) -> list[str]:
    """Terms of a hand-written block: one or more per line, separated by '|'."""
    return [t.strip() for line in block.splitlines() for t in line.split("|") if t.strip()]


def label_forms(pref_label: str) -> list[str]:
    """'Standesbeamter/Standesbeamtin' -> both forms; labels with a hyphen-slash stay whole."""
    if "/" in pref_label and "-/" not in pref_label:
        return [p.strip() for p in pref_label.split("/") if p.strip()]
    return [pref_label.strip()]


def usable(term: str) -> bool:
    return (
        bool(term)
        and len(term.split()) <= MAX_WORDS
        and not _DROP.search(term)
        and term.casefold() not in {t.casefold() for t in split_terms(EXCLUDE_TERMS)}
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def esco_terms(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    for row in rows:
        yield from label_forms(row["prefLabel_de"])
        yield from (t.strip() for t in row["altLabels_de"].split(" | "))


def dedupe(terms: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for term in terms:
        term = " ".join(term.split())
        if usable(term) and term.casefold() not in seen:
            seen[term.casefold()] = term
    return sorted(seen.values(), key=str.casefold)


def extract(esco_dir: Path) -> None:
    """Copy the allow-listed ESCO rows (all columns) into third_party/esco/."""
    wanted = {"occupations": set(OCCUPATIONS), "knowledge": set(KNOWLEDGE), "transversal": set(TRANSVERSAL)}
    THIRD_PARTY.mkdir(parents=True, exist_ok=True)
    for key, (source, target) in SUBSETS.items():
        with (esco_dir / source).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            rows = [r for r in reader if r["prefLabel_de"] in wanted[key]]
        missing = wanted[key] - {r["prefLabel_de"] for r in rows}
        if missing:
            sys.exit(f"error: {source}: labels not found: {sorted(missing)}")
        rows.sort(key=lambda r: r["prefLabel_de"].casefold())
        with (THIRD_PARTY / target).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{target}: {len(rows)} rows")


def render(name: str, terms: list[str], sources: str) -> str:
    lines = [
        'version: "3.1"',
        "",
        f"# Generated by scripts/build_lookups.py from {sources}. Do not edit by hand.",
        f"# {len(terms)} entries.",
        "",
        "nlu:",
        f"- lookup: {name}",
        "  examples: |",
    ]
    lines += [f"    - {t}" for t in terms]
    return "\n".join(lines) + "\n"


def build() -> None:
    """Write bot/data/lookups/roles.yml and skills.yml from third_party/esco/ and the hand-written terms."""
    occupations = read_rows(THIRD_PARTY / SUBSETS["occupations"][1])
    knowledge = read_rows(THIRD_PARTY / SUBSETS["knowledge"][1])
    transversal = read_rows(THIRD_PARTY / SUBSETS["transversal"][1])
    unknown = {r["prefLabel_de"] for r in transversal} ^ set(TRANSVERSAL)
    if unknown:
        sys.exit(f"error: transversal subset and TRANSVERSAL mapping differ: {sorted(unknown)}")

    roles = dedupe([*split_terms(MUNICIPAL_ROLES), *esco_terms(occupations)])
    skills = dedupe(
        [
            *split_terms(MUNICIPAL_SKILLS),
            *esco_terms(knowledge),
            *(t for r in transversal for t in TRANSVERSAL[r["prefLabel_de"]]),
        ]
    )
    LOOKUP_DIR.mkdir(parents=True, exist_ok=True)
    src = "third_party/esco/ (ESCO, European Commission) and hand-written municipal terms"
    (LOOKUP_DIR / "roles.yml").write_text(render("role", roles, src), encoding="utf-8")
    (LOOKUP_DIR / "skills.yml").write_text(render("skill", skills, src), encoding="utf-8")
    print(f"roles.yml: {len(roles)} entries, skills.yml: {len(skills)} entries")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    ext = sub.add_parser("extract", help="copy allow-listed ESCO rows into third_party/esco/")
    ext.add_argument("--esco-dir", type=Path, required=True, help="folder with the German ESCO CSVs")
    sub.add_parser("build", help="write bot/data/lookups/*.yml (default)")
    args = parser.parse_args(argv)
    if args.command == "extract":
        extract(args.esco_dir)
    else:
        build()


if __name__ == "__main__":
    main()
