"""Chinese dates as the SCIO and customs pages print them, to ISO days."""

from __future__ import annotations

import pytest

from briefings.dates import find_date, is_date_line


@pytest.mark.parametrize(
    "text, day",
    [
        ("2020年6月23日", "2020-06-23"),
        ("2020年06月23日", "2020-06-23"),
        ("２０２０年６月２３日", "2020-06-23"),  # full-width digits
        ("2020 年 6 月 23 日", "2020-06-23"),
        ("二〇二〇年六月二十三日", "2020-06-23"),
        ("二○二四年三月七日", "2024-03-07"),  # ○ (a circle) where 〇 is meant, as documents often print it
        ("二〇二〇年十二月三十一日", "2020-12-31"),
        ("二〇二〇年十月十日", "2020-10-10"),
        ("国务院新闻办公室于2020年6月23日（星期二）上午10时举行新闻发布会", "2020-06-23"),
        ("2024年9月24日上午9时，国务院新闻办公室举行新闻发布会", "2024-09-24"),
        ("访谈时间：2024年6月18日 10:00", "2024-06-18"),
    ],
)
def test_chinese_dates_are_read(text, day):
    assert find_date(text) == day


@pytest.mark.parametrize(
    "text", ["2020年2月30日", "二〇二〇年二月三十日", "二〇二〇年十三月一日", "二〇二〇年六月四十日"]
)
def test_a_day_that_does_not_exist_is_no_date(text):
    assert find_date(text) is None


@pytest.mark.parametrize(
    "line",
    [
        "（2024年3月7日）",
        "2020年6月23日（星期二）",
        "(二〇二四年三月七日)",
        "时间：2020年6月23日",
        "２０２０年６月２３日",
    ],
)
def test_a_chinese_date_line_is_a_date_line(line):
    assert is_date_line(line)


@pytest.mark.parametrize(
    "line", ["2020年6月23日上午10时举行新闻发布会", "（2024年3月7日讲话）", "前5个月，进出口总额同比下降4.9%"]
)
def test_a_sentence_with_a_date_is_not_a_date_line(line):
    assert not is_date_line(line)
