"""Site search that finds Chinese words, on SQLite and (indexed) on PostgreSQL.

Chinese has no spaces, so word-based full-text search misses 党建 inside 机关党建工作.
The answer here is the one a substring match gives, made fast with an index:

- Every article stores ``search_text`` (title, abstract and body as plain text) and
  ``search_tokens``: each distinct overlapping pair of CJK characters and each Latin word,
  hex-encoded so PostgreSQL's parser and locale cannot split or drop them.
- On PostgreSQL the column ``search_vector`` (generated from the tokens, migration 0006)
  and its GIN index find the articles that contain every pair of the query — a superset
  of the substring matches; ``search_text ILIKE`` then keeps exactly the substring
  matches. A query that is one pair of characters needs no second step: having the pair
  *is* containing it.
- A word with no pair of Chinese characters (``party``, ``1+N``) is found through a trigram
  index (pg_trgm, migration 0013) on ``UPPER(search_text)``, which is what Django's
  ``icontains`` compares. pg_trgm can use a pattern only if it yields a trigram, which
  ``answerable`` predicts; the search form refuses the rest (one character, ``ab``, ``%``,
  ``+++``) with a clear message instead of scanning every article.
- On SQLite it is a plain case-insensitive substring match.

A query is NFKC-normalised (``１＋Ｎ`` is ``1+N``), as the stored text is, and split at
spaces: an article matches when it contains every word.

Results come title hits first, each part newest first. For the search page the two parts
are separate queries (``TitleFirst``) so that each can walk an index in date order: the
title's pairs are stored a second time with their own prefix, so "the title contains it"
has an index too. A search for one word of two characters, the most common kind, takes its
title hits already in date order from ``TitlePair`` (migration 0019). A common word is in
tens of thousands of articles; ordering all of them by one expression, or counting them
exactly, would read every one. The page therefore counts up to ``SEARCH_LIMIT`` and lists
that many, as large search engines do; a reader who needs more adds a word.
"""

import contextlib
import contextvars
import functools
import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import OperationalError, connection, transaction
from django.db.models import Case, Expression, F, Func, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.functional import cached_property

from portal.precompiled import Precompiled

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[0-9a-z]+")
_ALNUM_RUN = re.compile(r"[^\W_]+")  # letters and digits, as pg_trgm counts word characters
MAX_WORD = 40
MAX_TERMS = 5


def normalise(text):
    """NFKC: full-width letters, digits and signs as their plain forms."""
    return unicodedata.normalize("NFKC", text)


def search_terms(query):
    """The distinct words of ``query``, normalised."""
    return list(dict.fromkeys(normalise(query).split()))


def answerable(term):
    """Whether an index can find ``term``: it has a pair of Chinese characters, or pg_trgm
    can take a trigram from ``%term%``. pg_trgm pads a run of letters and digits with two
    spaces in front when a non-word character precedes it inside the pattern, and one
    behind when one follows; a run touching the ``%`` gets no padding on that side. So
    ``party``, ``1+N`` (" " + " " + "n") and ``1.5`` qualify, ``ab``, ``1+`` and ``+++``
    do not (tests/articles/test_search_hostile.py checks this against PostgreSQL)."""
    if query_pairs(term):
        return True
    return any(
        (2 if run.start() > 0 else 0) + len(run[0]) + (1 if run.end() < len(term) else 0) >= 3
        for run in _ALNUM_RUN.finditer(term)
    )


def _encode(term, prefix):
    return prefix + "".join(f"{ord(char):05x}" for char in term)


def _pairs(text, prefix="x"):
    for run in _CJK_RUN.findall(text):
        for start in range(len(run) - 1):
            yield _encode(run[start : start + 2], prefix)


def _words(text):
    for word in _WORD.findall(text.lower()):
        yield "w" + word[:MAX_WORD]


def search_tokens(text, title=""):
    """The space-separated distinct tokens stored for ``text``, and the title's pairs again."""
    return " ".join(dict.fromkeys([*_pairs(text), *_words(text), *_pairs(title, "t")]))


def query_pairs(query, prefix="x"):
    """Tokens the index can use for ``query``: its character pairs (words are matched by text)."""
    return list(dict.fromkeys(_pairs(query, prefix)))


class TokenVector(Func):
    """The tokens as a tsvector (migration 0002 built its first index from this class)."""

    template = "array_to_tsvector(string_to_array(%(expressions)s, ' '))"
    output_field = SearchVectorField()


class StoredVector(Expression):
    """The generated ``search_vector`` column of PostgreSQL (not a model field)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(compiler.query.base_table)}.search_vector", []


def _having_pairs(queryset, terms, prefix):
    """On PostgreSQL, ``queryset`` narrowed by the index to rows with every pair of the
    ``terms`` (``prefix`` "x" anywhere, "t" in the title); else ``None`` (no index, or no
    pair)."""
    pairs = list(dict.fromkeys(pair for term in terms for pair in query_pairs(term, prefix)))
    if connection.vendor != "postgresql" or not pairs:
        return None
    tokens = SearchQuery(" & ".join(pairs), search_type="raw", config="simple")
    return queryset.alias(tokens=StoredVector()).filter(tokens=tokens)


def _contains(field, query):
    """``field`` contains ``query``; case-blind only where case exists (UPPER() on every
    Chinese title of a large match costs more than the comparison)."""
    lookup = "icontains" if query.lower() != query.upper() else "contains"
    return Q(**{f"{field}__{lookup}": query})


def matching(queryset, query):
    """The articles of ``queryset`` whose title, abstract or text contain every word of
    ``query``."""
    terms = search_terms(query)
    indexed = _having_pairs(queryset, terms, "x")
    found = queryset if indexed is None else indexed
    for term in terms:
        if not query_pairs(term):  # the trigram index compares UPPER(): icontains
            found = found.filter(search_text__icontains=term)
        elif indexed is None or len(term) > 2:  # one pair: having it *is* containing it
            found = found.filter(_contains("search_text", term))
    return found


def _title_contains(query):
    return Q(*(_contains("title", term) for term in search_terms(query)))


def title_matching(queryset, query):
    """The articles of ``queryset`` whose title contains every word of ``query``: through
    the title's own pairs when every word has one, else among the text's matches."""
    terms = search_terms(query)
    if not all(query_pairs(term) for term in terms):
        return matching(queryset, query).filter(_title_contains(query))
    indexed = _having_pairs(queryset, terms, "t")
    if indexed is None:
        return queryset.filter(_title_contains(query))
    # One pair: having it *is* containing it, as in matching().
    return indexed.filter(*(_contains("title", term) for term in terms if len(term) > 2))


def _title_pair(query):
    """The title token of ``query`` when it is one word of two Chinese characters (党建,
    联盟: the most common search); else None."""
    terms = search_terms(query)
    if len(terms) != 1 or len(terms[0]) != 2:
        return None
    pairs = query_pairs(terms[0], "t")
    return pairs[0] if pairs else None


@functools.lru_cache(maxsize=4)
def _pair_title_hits(limit):
    """The published articles whose title holds a pair, newest first, up to ``limit`` + 1
    ids: one walk of the TitlePair index, compiled once."""
    from .models import TitlePair

    def build(now, pair):
        hits = TitlePair.objects.filter(pair=pair, published_at__lte=now)
        return hits.order_by("-published_at", "-article").values_list("article")[: limit + 1]

    fields = TitlePair._meta
    return Precompiled(build, now=fields.get_field("published_at"), pair=fields.get_field("pair"))


# Published articles always have a date: plain DESC, the order of the date indexes.
NEWEST = (F("published_at").desc(), F("pk").desc())


def search_articles(queryset, query):
    """Filter ``queryset`` to articles containing ``query``, title hits first, then newest.

    One query, fine for a few hundred matches; the search page uses ``TitleFirst``."""
    return (
        matching(queryset, query)
        .annotate(
            title_hit=Case(
                When(_title_contains(query), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-title_hit", *NEWEST)
    )


# The planner settings made with SET LOCAL in time_limit's transaction ({name: value}); None
# outside it.
_local_plan = contextvars.ContextVar("search_local_plan", default=None)


class SearchTimedOut(Exception):
    """PostgreSQL cancelled a search at its time limit."""


@contextlib.contextmanager
def time_limit(milliseconds):
    """On PostgreSQL, the queries inside get ``milliseconds`` each (``statement_timeout``,
    for this transaction only); a cancelled one raises ``SearchTimedOut``."""
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(milliseconds)}")
            token = _local_plan.set({})  # the planner settings of this transaction
            try:
                yield
            finally:
                _local_plan.reset(token)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise SearchTimedOut from error
        raise


@contextlib.contextmanager
def _plan(walk):
    """On PostgreSQL, the way the next queries read matches: through the GIN index (a bitmap
    of the matching rows), or by walking the articles newest first (``walk``).

    The planner cannot price the second well: each row it walks past must have its token
    vector fetched from TOAST, some 25 µs. Left alone it walks for rare words (0.2 s) and
    scans the table for common ones. We know better from the counts, so we say which."""
    if connection.vendor != "postgresql":
        yield
        return
    local = _local_plan.get()
    if local is not None:
        # Inside time_limit's transaction: SET LOCAL, which its end undoes, and only what
        # differs from the last plan in it (the count and the page share one: no RESET and
        # SET again between them, two round trips fewer each).
        wanted = {
            "enable_seqscan": "off",
            "enable_bitmapscan": "off" if walk else "on",
            "enable_indexscan": "on" if walk else "off",
        }
        changes = {name: value for name, value in wanted.items() if local.get(name, "on") != value}
        if changes:
            with connection.cursor() as cursor:
                cursor.execute(
                    "; ".join(f"SET LOCAL {name} = {value}" for name, value in changes.items())
                )
            local.update(changes)
        yield
        return
    off = ("enable_seqscan", "enable_bitmapscan" if walk else "enable_indexscan")
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET {setting} = off" for setting in off))
        try:
            yield
        finally:
            # After an error inside a transaction (a search cut off at its time limit) the
            # transaction takes no more commands; its rollback undoes the SETs by itself.
            if not _aborted():
                cursor.execute("; ".join(f"RESET {setting}" for setting in off))


def _aborted():
    """Whether the connection's transaction failed and awaits its rollback."""
    from psycopg.pq import TransactionStatus

    raw = connection.connection
    return raw is not None and raw.info.transaction_status == TransactionStatus.INERROR


class TitleFirst:
    """The ids of the published articles matching ``query`` (at ``now``) in the order of
    ``search_articles``, for a ``Paginator``: title hits newest first, then the other
    matches newest first. Counted and listed up to ``limit``; ``more`` says whether there
    are more.

    The title hits (a few thousand at most) are read once, up to ``limit`` + 1 ids, from
    ``TitlePair``'s index for one two-character word, else sorted from the GIN bitmap:
    their count and every page of them come from that list, one query where a count and a
    page were two, each reading the same rows. The other matches are
    counted from the bitmap, stopping at what that needs to know, and walked newest first
    when there are at least ``DENSE`` of them (then twenty are near the top), else sorted
    from the bitmap: each way costs a few milliseconds at 100 000."""

    DENSE = 5000

    def __init__(self, query, limit, now=None):
        from .models import Article

        self.query, self.limit, self.now = query, limit, now or timezone.now()
        self.queryset = Article.objects.published(self.now)

    @cached_property
    def title_hits(self):
        return title_matching(self.queryset, self.query).order_by(*NEWEST)

    @cached_property
    def others(self):
        """Built only when asked for: a common word's title hits fill every page."""
        return (
            matching(self.queryset, self.query)
            .exclude(_title_contains(self.query))
            .order_by(*NEWEST)
        )

    @cached_property
    def title_ids(self):
        pair = _title_pair(self.query) if connection.vendor == "postgresql" else None
        if pair:  # the planner walks TitlePair's key unaided: no _plan, one round trip fewer
            return [pk for (pk,) in _pair_title_hits(self.limit)(now=self.now, pair=pair)]
        with _plan(walk=False):
            return list(self.title_hits.values_list("pk", flat=True)[: self.limit + 1])

    @property
    def title_count(self):
        return len(self.title_ids)

    @cached_property
    def others_count(self):
        return self.others.order_by()[: max(self.DENSE, self.limit + 1)].count()

    @cached_property
    def total(self):
        """Matches up to ``limit`` + 1: enough to know whether there are more."""
        if self.title_count > self.limit:
            return self.title_count
        with _plan(walk=False):
            return self.title_count + self.others_count

    @property
    def more(self):
        return self.total > self.limit

    def count(self):
        return min(self.total, self.limit)

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        start, stop = window.start or 0, min(window.stop, self.count())
        titles = self.title_count
        dense = stop > titles and self.others_count >= self.DENSE
        ids = self.title_ids[start : min(stop, titles)]
        if stop > titles and not dense:
            with _plan(walk=False):
                ids += self._others(start - titles, stop - titles)
        if dense:
            with _plan(walk=True):
                ids += self._others(start - titles, stop - titles)
        return ids

    def _others(self, start, stop):
        return list(self.others.values_list("pk", flat=True)[max(start, 0) : stop])
