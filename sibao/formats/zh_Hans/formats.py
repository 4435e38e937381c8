"""Simplified Chinese formats: Django's, with amounts grouped by thousands (1,234,567) as in government tables.

Django's zh_Hans locale has no thousand separator, so `intcomma` would print 1234567 in Chinese and
1,234,567 in English; registry figures are read side by side in both languages.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
