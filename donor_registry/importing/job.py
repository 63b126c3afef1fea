"""One import's running state: matching parsed rows to donors and writing them in bulk."""

import datetime as dt
from array import array
from collections.abc import Callable

from sqlmodel import Session

from donor_registry.chapters.placing import (
    BY_PLACE,
    Placement,
    chapter_of_new_donor,
    place_new_donors,
)
from donor_registry.donors.name_words import WORDS, words_of
from donor_registry.eligibility import EligibilityRules
from donor_registry.i18n import _
from donor_registry.importing import bulk, checks, consents, repeats, staging
from donor_registry.importing.headers import HeaderMap
from donor_registry.importing.matching import (
    Ambiguous,
    Conflict,
    Known,
    Matcher,
    compact,
    describe,
    fields_text,
    identity,
    identity_conflicts,
)
from donor_registry.importing.pipeline import ParsedChunk
from donor_registry.importing.report import Duplicate, ImportReport
from donor_registry.importing.rows import (
    ABO,
    BORN,
    COMMUNE_KEY,
    CONSENT,
    DONOR_COLUMNS,
    FOLDED,
    NATIONAL_ID,
    PHONE,
    RH,
    SEX,
    WEIGHT,
    YEAR,
    RowError,
)
from donor_registry.importing.stats import UNCOUNTED, UNSETTLED, NewDonorStats
from donor_registry.importing.written import WrittenDonations

DONOR_INSERT, DONATION_INSERT = bulk.DONOR_INSERT, bulk.DONATION_INSERT
_MATCHER_COLUMNS = ("id", "national_id", "phone_e164", "name_folded", "date_of_birth", "birth_year",
                    "commune_key", "sex", "abo", "rh")


class ImportJob:
    """Matches each parsed row to a donor (creating new ones), writes rows chunk by chunk, and
    at the end drops same-day repeats and brings donor stats up to date."""

    def __init__(self, session: Session, report: ImportReport, header_map: HeaderMap, *,
                 rules: EligibilityRules | None, now: dt.datetime, today: dt.date, expected_rows: int,
                 on_refused: Callable[[list[RowError]], None] | None = None, accept_violations: bool = False,
                 placement: Placement = BY_PLACE):
        self.report, self.rules, self.now, self.today = report, rules, now, today
        self.on_refused = on_refused  # given the problems of each chunk's refused rows, in line order
        self.refused: list[RowError] = []
        self.accept_violations = accept_violations
        self.conn = session.connection()
        self.header_map = header_map
        self.name_header = header_map.header_of("full_name")
        self.national_id_header = (header_map.header_of("national_id")
                                   if "national_id" in header_map.columns else "")
        self.cert_header = (header_map.header_of("certificate_no")
                            if "certificate_no" in header_map.columns else "")
        self.matcher = Matcher()
        self.matcher.load(self.conn.execute(
            bulk.DONORS.select().with_only_columns(*(bulk.DONORS.c[name] for name in _MATCHER_COLUMNS))
            .where(bulk.DONORS.c.merged_into_id.is_(None))))
        self.donor_ids = bulk.IdReserver(self.conn, bulk.DONORS)
        self.donation_ids = bulk.IdReserver(self.conn, bulk.DONATIONS)
        self.registered_max = self._max_id(bulk.DONORS)
        self.recorded_max = self._max_id(bulk.DONATIONS)
        self.indexes = bulk.DeferredIndexes.for_load(
            self.conn, (bulk.DONATIONS, bulk.DONORS, WORDS), rows=expected_rows,
            present=max(self.recorded_max, self.registered_max))
        # New donors join their chapter as PostgreSQL moves them from staging: an UPDATE there
        # writes every row again with all its index entries (3-6 s for 48,000 donors, against
        # 0.2-1.3 s more for the move). SQLite places them with one UPDATE at the end (0.4 s).
        self.postgres = staging.is_postgres(self.conn)
        self.chapter = chapter_of_new_donor(self.conn, placement, staging.stage_name("donors") if self.postgres
                                            else "donors")
        # On PostgreSQL the rows stay in staging until finish (staging.py, `hold`).
        self.donors = bulk.BulkWriter(self.conn, bulk.DONORS, DONOR_INSERT, computed=(
            ("chapter_id", *self.chapter) if self.postgres and self.chapter else None), hold=True,
            extra=("last_donation_on", "last_donation_type", "eligible_again_on"))
        self.donations = bulk.BulkWriter(self.conn, bulk.DONATIONS, DONATION_INSERT, hold=True)
        self.words = bulk.BulkWriter(self.conn, WORDS, ("word", "donor_id"), hold=True)
        self.new_words: list[tuple[str, int]] = []  # name words of the donors created in this chunk
        self.by_ordinal: list[Known | None] = []  # donor ordinal of the parser -> its donor
        self.unresolved: dict[int, tuple] = {}  # ordinal -> donor part that fitted several donors
        self.shared: dict = {}  # one object for each distinct birth year and commune
        convert = self.donations.converters
        self.day_db, self.kind_db = convert[2], convert[3]
        # What follows the donor part in a donor row: weight measured on, standby, count, created,
        # updated, consent given at.
        self.donor_tails = {
            (weighed, consented): self.donors.convert(
                (today if weighed else None, False, 0, now, now, now if consented else None),
                first_column=len(DONOR_COLUMNS) + 1)
            for weighed in (False, True) for consented in (False, True)}
        self.consenting: set[int] = set()  # known donors a row gives consent for
        # Each donor created: its id and the parser's ordinal of the donor part it came from,
        # whose running stats (pipeline.ChunkParser) are its own unless it is in `multi`.
        self.new_ids, self.new_ordinals = array("q"), array("q")
        self.multi: set[int] = set()  # new donors found again by another donor part: counted from the table
        self.touched: set[int] = set()  # registered donors given a donation by this import
        self.recount: set[int] = set()  # new donors counted from the table: a deferral, or a row they lost
        self.written = WrittenDonations()  # the donations written and the line of each
        self.taken_certificates = 0  # rows not written because their certificate number was in use

    def _max_id(self, table) -> int:
        return self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar()

    def process(self, chunk: ParsedChunk) -> None:
        """Match and write one parsed chunk."""
        self.report.rows_read += chunk.rows_read
        self.refused = list(chunk.errors)
        new_donors: list[tuple] = []
        new_donations: list[tuple] = []
        # A chunk's donation ids at once, the unused ones given back after the loop (a donor
        # list takes none: on PostgreSQL that would use up sequence numbers).
        ids = self.donation_ids.take(len(chunk.good)) if self.report.kind == "donations" else []
        next_donation_id, add_donation = iter(ids).__next__, new_donations.append
        line_numbers, first_row = self.written.lines, len(self.written.lines)
        add_line = line_numbers.append
        by_ordinal, touched, matched = self.by_ordinal, self.touched, 0
        # The parser made each donation's values (pipeline.DonationValues) and counted them for
        # the running stats: this loop runs once for every row, and only matches, numbers and
        # collects.
        for line, ordinal, donor, values, _stats_key, prepared in chunk.good:
            known = by_ordinal[ordinal] if donor is None else None
            if known is not None:
                matched += 1
            else:
                known = self._donor_of(line, ordinal, donor, new_donors, prepared)
                if known is None:
                    continue
            if values is None:
                continue
            add_donation((next_donation_id(), known.id, *values))
            add_line(line)
            if known.slot < 0:
                touched.add(known.id)
        self.report.matched += matched
        self.donation_ids.give_back(ids[len(new_donations):])
        self.written.record(new_donations, first_row)
        self._write(new_donors, new_donations)
        self._report_refused()

    def _write(self, new_donors: list[tuple], new_donations: list[tuple]) -> None:
        self.donors.insert(new_donors)
        self.words.insert(self.new_words)
        self.new_words = []
        written = self.donations.insert(new_donations)
        self.report.imported += len(new_donations) if self.report.kind == "donations" else len(new_donors)
        if written < len(new_donations):  # ON CONFLICT skipped rows: their certificate is taken
            self._refuse_taken_certificates(new_donations)

    def _donor_of(self, line: int, ordinal: int, donor: tuple | None, new_donors: list,
                  prepared: tuple | None = None) -> Known | None:
        """The donor of a row seen for the first time (or whose first row fitted several);
        prepared: the donor part's row values and name words (pipeline.DonorValues), if made."""
        if donor is None:
            donor = self.unresolved[ordinal]
        try:
            known = self.matcher.match(donor)
        except Ambiguous as exc:
            who = _(" and ").join(self._describe(candidate) for candidate in exc.candidates)
            self._reject(line, self.name_header, _("fits more than one donor by {rule}: {who}").format(
                rule=_(exc.rule), who=who))
            known = None
            self.unresolved[ordinal] = donor  # later rows of these cells are refused the same way
        except Conflict as exc:
            self._reject(line, self.national_id_header, self._conflict_reason(exc, donor, new_donors))
            known = None
            self.unresolved[ordinal] = donor
        else:
            if known is None:
                known = self._create(line, ordinal, donor, new_donors, prepared)
            else:
                self.report.matched += 1
                if known.slot >= 0:  # created from another donor part: its rows are counted under both
                    self.multi.add(known.id)
                if donor[CONSENT] is not None:
                    self.consenting.add(known.id)
                if self.report.kind == "donors":
                    self.report.repeat(Duplicate(line, _("the same donor as line {line}").format(line=known.line)
                                                 if known.line else _("already registered as donor #{id}").format(
                                                     id=known.id)))
        if ordinal == len(self.by_ordinal):
            self.by_ordinal.append(known)
        return known

    def _create(self, line: int, ordinal: int, donor: tuple, new_donors: list, prepared: tuple | None) -> Known:
        donor_id = self.donor_ids.next()
        slot = -1
        if self.rules is not None:
            slot = 0  # a small int is one shared object: not a new one per donor kept in memory
            self.new_ids.append(donor_id)
            self.new_ordinals.append(ordinal)
        # Dates of birth, years and communes repeat: one object each, not one per donor kept in memory.
        shared = self.shared
        year, commune_key, born = donor[YEAR], donor[COMMUNE_KEY], donor[BORN]
        year, commune_key = shared.setdefault(year, year), shared.setdefault(commune_key, commune_key)
        born = shared.setdefault(born, born)
        known = Known(donor_id, compact(donor[NATIONAL_ID]), donor[FOLDED], born, year, commune_key,
                      donor[SEX], donor[ABO], donor[RH], compact(donor[PHONE]), line, slot)
        self.matcher.add(known)
        if prepared is None:  # parsed without DonorValues, or a donor part that fitted several before
            prepared = self.donors.convert(donor, first_column=1), sorted(words_of(donor[FOLDED]))
        values, words = prepared
        if not self.postgres:  # PostgreSQL works them out from the moved donors (staging.py)
            self.new_words += [(word, donor_id) for word in words]
        consented = donor[CONSENT] is not None
        new_donors.append((donor_id, *values, *self.donor_tails[donor[WEIGHT] is not None, consented]))
        self.report.created += 1
        self.report.consents += consented
        return known

    def _refuse_taken_certificates(self, rows: list[tuple]) -> None:
        """The rows of this chunk whose insert was skipped because their certificate number is taken."""
        written = bulk.present_donations(self.conn, [row[0] for row in rows])
        self._refuse_skipped([row for row in rows if row[0] not in written])

    def _refuse_skipped(self, skipped: list[tuple]) -> None:
        """Donation rows not written because their certificate number is taken. A certificate
        number is a strong identifier: the row repeats the donation holding it when that is the
        same donation (same day, type, and no volume known on both that differs) of the same
        donor, or of a donor whose name, birth, sex and blood group do not conflict with the
        row's donor; else the row is refused, naming who holds the number."""
        holders = bulk.holders_of_certificates(self.conn, [row[6] for row in skipped])
        strangers = {ids for row in skipped if (ids := (row[1], holders[row[6]][1]))[0] != ids[1]}
        people = bulk.identities(self.conn, {donor for pair in strangers for donor in pair}) if strangers else {}
        for donation_id, donor_id, day, kind, _outcome, volume, number, *_rest in skipped:
            holder, holder_donor, holder_day, holder_kind, holder_volume = holders[number]
            line = self.written.line_of(donation_id)
            differ = (identity_conflicts(people[holder_donor], people[donor_id])
                      if holder_donor != donor_id else [])
            if (not differ and self.day_db(holder_day) == day and self.kind_db(holder_kind) == kind
                    and (volume is None or holder_volume is None or volume == holder_volume)):
                self.report.repeat(Duplicate(line, self._repeats(holder)))
            else:
                where = (_("line {line}").format(line=self.written.line_of(holder)) if self.written.wrote(holder)
                         else _("donation #{id} in the registry").format(id=holder))
                if differ:
                    reason = _("certificate {number} is already used ({where}) by donor #{id} {holder}; this row "
                               "says {row} ({fields} differ)").format(
                        number=number, where=where, id=holder_donor, holder=describe(people[holder_donor]),
                        row=describe(people[donor_id]), fields=fields_text(differ))
                else:
                    reason = _("certificate {number} is already used ({where})").format(number=number, where=where)
                self._reject(line, self.cert_header, reason)
            if donor_id > self.registered_max:
                self.recount.add(donor_id)
        self.report.imported -= len(skipped)
        self.taken_certificates += len(skipped)

    def _conflict_reason(self, exc: Conflict, donor: tuple, new_donors: list) -> str:
        known = exc.known
        row = self.conn.execute(bulk.DONORS.select().with_only_columns(bulk.DONORS.c.full_name)
                                .where(bulk.DONORS.c.id == known.id)).first()
        if row is None and self.postgres:  # created by an earlier chunk, still in staging
            row = self.conn.exec_driver_sql(f"SELECT full_name FROM {staging.stage_name('donors')} WHERE id = %s",
                                            (known.id,)).first()
        # A donor created earlier in this chunk is not written yet.
        name = row[0] if row else next(new[1] for new in new_donors if new[0] == known.id)
        return _("CCCD {prefix}… belongs to {holder} {identity}; this row says {row} ({fields} differ)").format(
            prefix=donor[NATIONAL_ID][:3], holder=self._describe(known),
            identity=identity(name, known.sex, known.abo, known.rh, known.date_of_birth, known.birth_year),
            row=identity(donor[0], donor[SEX], donor[ABO], donor[RH], donor[BORN], donor[YEAR]),
            fields=fields_text(exc.fields))

    @staticmethod
    def _describe(known: Known) -> str:
        if known.line:
            return _("the new donor of line {line}").format(line=known.line)
        return _("donor #{id}").format(id=known.id)

    def _reject(self, line: int, column: str, reason: str) -> None:
        self.refused.append(RowError(line, column, reason))

    def finish(self, stats: NewDonorStats | None = None) -> None:
        """Drop repeated donations (same donor, same day), bring donors' stats up to date, put
        the new donors in their chapters, and build again the indexes a bulk load put off.
        stats: the running stats of the donor parts (pipeline.ChunkParser), by ordinal."""
        self._take_stats(stats)
        new_stats = (stats.rows_of(zip(self.new_ids, self.new_ordinals), day_value=self.day_db,
                                   kind_value=self.kind_db) if stats is not None else ())
        if self.postgres:
            self._move_held(new_stats)
        self.indexes.build(bulk.DONATIONS)
        if self.taken_certificates:  # a donor created only by rows not written is not kept
            self.report.created -= bulk.delete_new_donors_without_donations(
                self.conn, new_from=self.registered_max + 1)
        if self.report.kind == "donations" and self.report.imported:
            # A new donor's rows repeat on a day only if the running stats saw a row inside an
            # earlier one's wait (every interval is a day or more), a deferral or several donor parts.
            bulk.load_touched(self.conn, self.touched | self.recount | set(self.unsettled))
            self._drop_same_day_repeats()
            self._apply_recording_checks()
            if not self.postgres:  # set in staging there
                bulk.write_stats(self.conn, new_stats)
            # Registered donors, and new ones that lost a counted row, from their donations.
            bulk.load_touched(self.conn, self.touched | self.recount)
            bulk.refresh_stats(self.conn, self.rules)
            bulk.drop_touched(self.conn)
        if self.report.created:  # before SQLite's deferred indexes come back: fewer index updates
            self.report.chapters = place_new_donors(self.conn, None if self.postgres else self.chapter,
                                                    new_from=self.registered_max + 1)
        if self.consenting:
            self.report.consents += consents.record_consents(self.conn, self.consenting, now=self.now)
        consents.record_new_donor_consents(self.conn, new_from=self.registered_max + 1, now=self.now)
        self.indexes.build()
        for writer in (self.donors, self.donations, self.words):
            writer.close()
        self.report.close()

    def _move_held(self, new_stats) -> None:
        """PostgreSQL: the new donors' stats set in staging, then every held row moved."""
        if self.report.kind == "donations":
            staging.write_stats(self.conn, new_stats, table=self.donors.staged.stage)
        with staging.sort_memory(self.conn):
            self.donors.staged.move_held()
            staging.move_name_words(self.conn, self.donors.staged.stage)
            held, written = self.donations.staged.move_held()
        if written < held:  # ON CONFLICT skipped donations: their certificate is taken
            for rows in self.donations.staged.skipped():  # in id order, so in line order
                self.refused = []
                self._refuse_skipped(rows)
                self._report_refused()

    def _report_refused(self) -> None:
        if self.refused:
            self.refused.sort(key=lambda error: error.line)
            self.report.refuse(self.refused)
            if self.on_refused is not None:
                self.on_refused(self.refused)

    def _take_stats(self, stats: NewDonorStats | None) -> None:
        """Which new donors the recording checks judge (rows out of date order or inside an
        interval, or counted under several donor parts) and which are counted from the table
        (a deferral, or several donor parts) instead of by the running stats."""
        self.unsettled: list[int] = []
        if stats is None:
            return
        flags_of, multi = stats.flags, self.multi
        for donor_id, ordinal in zip(self.new_ids, self.new_ordinals, strict=True):
            flags = flags_of[ordinal]
            if flags & UNSETTLED or donor_id in multi:
                self.unsettled.append(donor_id)
            if flags & UNCOUNTED or donor_id in multi:
                self.recount.add(donor_id)

    def _apply_recording_checks(self) -> None:
        """Refuse imported donations that break a recording check (recording.py), or, with
        accept_violations, keep them with the reasons on the row."""
        column = self.header_map.header_of("donated_on")
        refused, accepted = [], []
        self.refused = []
        for found in checks.violations(self.conn, self.rules, first_new_id=self.recorded_max + 1,
                                       first_new_donor=self.registered_max + 1,
                                       unsettled=self.unsettled, keep=self.accept_violations):
            if self.accept_violations:
                accepted.append((found.donation_id, found.verdict.text()))
                continue
            self._reject(self.written.line_of(found.donation_id), column, found.verdict.text())
            refused.append(found.donation_id)
            if found.donor_id > self.registered_max:
                self.recount.add(found.donor_id)
        self.report.accepted_violations += len(accepted)
        bulk.mark_violations(self.conn, accepted, reason="accepted at import (--accept-violations)")
        if refused:
            self._report_refused()
            bulk.delete_donations(self.conn, refused)
            self.report.imported -= len(refused)
            self.report.created -= bulk.delete_new_donors_without_donations(
                self.conn, new_from=self.registered_max + 1)

    def _drop_same_day_repeats(self) -> None:
        """Drop the donations this import wrote that repeat another one (repeats.py)."""
        found = array("q")
        for donation_id, donor_id, first in repeats.same_day_repeats(bulk.same_day_groups(self.conn), self.written):
            found.append(donation_id)
            if donor_id > self.registered_max:
                self.recount.add(donor_id)
            self.report.repeat(Duplicate(self.written.line_of(donation_id), self._repeats(first)))
        if found:
            bulk.delete_donations(self.conn, found)
            self.report.imported -= len(found)

    def _repeats(self, donation_id: int) -> str:
        if not self.written.wrote(donation_id):
            return _("already recorded as donation #{id}").format(id=donation_id)
        return _("the same donation as line {line}").format(line=self.written.line_of(donation_id))

