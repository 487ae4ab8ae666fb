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
- On SQLite (and for queries with no pair, like a single character) it is a plain
  case-insensitive substring match.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Case, Expression, F, Func, IntegerField, Q, Value, When

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[0-9a-z]+")
MAX_WORD = 40
MAX_QUERY_LENGTH = 60


def _encode(term, prefix):
    return prefix + "".join(f"{ord(char):05x}" for char in term)


def _pairs(text):
    for run in _CJK_RUN.findall(text):
        for start in range(len(run) - 1):
            yield _encode(run[start : start + 2], "x")


def _words(text):
    for word in _WORD.findall(text.lower()):
        yield "w" + word[:MAX_WORD]


def search_tokens(text):
    """The space-separated distinct tokens stored for ``text``."""
    return " ".join(dict.fromkeys([*_pairs(text), *_words(text)]))


def query_pairs(query):
    """Tokens the index can use for ``query``: its character pairs (words are matched by text)."""
    return list(dict.fromkeys(_pairs(query)))


class TokenVector(Func):
    """The tokens as a tsvector (migration 0002 built its first index from this class)."""

    template = "array_to_tsvector(string_to_array(%(expressions)s, ' '))"
    output_field = SearchVectorField()


class StoredVector(Expression):
    """The generated ``search_vector`` column of PostgreSQL (not a model field)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(compiler.query.base_table)}.search_vector", []


def search_articles(queryset, query):
    """Filter ``queryset`` to articles containing ``query``, title hits first, then newest."""
    query = query.strip()
    substring = Q(search_text__icontains=query)
    pairs = query_pairs(query)
    if connection.vendor == "postgresql" and pairs:
        queryset = queryset.alias(tokens=StoredVector()).filter(
            tokens=SearchQuery(" & ".join(pairs), search_type="raw", config="simple")
        )
        single_pair = len(query) == 2 and len(pairs) == 1
        if not single_pair:
            queryset = queryset.filter(substring)
    else:
        queryset = queryset.filter(substring)
    # Ranked by the title only: it is stored in the row itself, while the abstract and the
    # text may be kept aside (TOAST) and would have to be fetched for every match.
    return queryset.annotate(
        title_hit=Case(
            When(title__icontains=query, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("-title_hit", F("published_at").desc(nulls_last=True), "-pk")
