#!/usr/bin/env python3
"""groupby_ref.py - an independent reference for runnel's groupby.

Prints, as CSV, what this prints:

    runnel -o csv csv FILE then groupby KEY count sum:V mean:V min:V max:V

Usage: groupby_ref.py FILE [KEY [V]]   (defaults: category amount)

Groups come out in first-seen order. A value counts as a number when it is
a plain decimal ([+-]digits[.digits], ".5", "5.") or has an exponent; "",
"n/a", "nan" and the like are skipped. Sums are exact (Decimal) and keep the
most decimals seen (1.50 + 2.25 = 3.75, 1.5 + 2 = 3.5); means are the
correctly rounded double of sum / count, printed as runnel prints doubles
(shortest round trip, plain from 1e-5 to below 1e15, no ".0"); min and max
print the value as written (the first of equal values). Numbers empty when
a group has none. Exact agreement holds for decimal data of at most 18
significant digits whose sums fit in 18-19 digits: beyond that runnel sums
in compensated doubles. inf is not handled.
"""
import csv
import re
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

getcontext().prec = 100  # exact for any sum of decimals we meet
NUMBER = re.compile(r'[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z')


def fmt_double(v):
    """Like rn__fmt_double: the shortest digits that read back (repr's)."""
    if v == 0:
        return '0'
    sign = '-' if v < 0 else ''
    t = Decimal(repr(abs(v))).as_tuple()
    digits = ''.join(map(str, t.digits))
    x = len(digits) - 1 + t.exponent  # exponent of the first digit
    digits = digits.rstrip('0') or '0'
    if 0 <= x < 15:
        whole = digits[:x + 1].ljust(x + 1, '0')
        frac = digits[x + 1:]
        s = whole + ('.' + frac if frac else '')
    elif -5 <= x < 0:
        s = '0.' + '0' * (-x - 1) + digits
    else:
        s = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        s += 'e' + ('-' if x < 0 else '+') + str(abs(x))
    return sign + s


def fmt_csv(field):
    """runnel's CSV quoting: only where needed (also leading/trailing space)."""
    if (field[:1] == ' ' or field[-1:] == ' ' or
            any(c in field for c in ',"\r\n')):
        return '"' + field.replace('"', '""') + '"'
    return field


def main():
    path = sys.argv[1]
    key = sys.argv[2] if len(sys.argv) > 2 else 'category'
    val = sys.argv[3] if len(sys.argv) > 3 else 'amount'
    groups = {}  # dicts keep first-seen order
    with open(path, newline='', encoding='utf-8',
              errors='surrogateescape') as f:
        rows = (r for r in csv.reader(f) if r)  # empty lines are no records
        header = next(rows, [])
        if header:
            header[0] = header[0].lstrip('\ufeff')
        ki, vi = header.index(key), header.index(val)
        for r in rows:
            k = r[ki] if ki < len(r) else ''
            v = r[vi] if vi < len(r) else ''
            g = groups.setdefault(k, {'count': 0, 'n': 0, 'sum': Decimal(0),
                                      'min': None, 'max': None})
            g['count'] += 1
            if not NUMBER.match(v):
                continue
            d = Decimal(v)
            g['n'] += 1
            g['sum'] = d if g['n'] == 1 else g['sum'] + d
            if g['min'] is None or d < g['min'][0]:
                g['min'] = (d, v)
            if g['max'] is None or d > g['max'][0]:
                g['max'] = (d, v)
    out = [[key, 'count', 'sum_' + val, 'mean_' + val, 'min_' + val,
            'max_' + val]]
    for k, g in groups.items():
        if g['n'] == 0:
            out.append([k, str(g['count']), '', '', '', ''])
            continue
        total = g['sum']
        if total == 0:
            total = abs(total)  # no "-0.00"
        mean = float(Fraction(g['sum']) / g['n'])  # correctly rounded
        out.append([k, str(g['count']), format(total, 'f'), fmt_double(mean),
                    g['min'][1], g['max'][1]])
    text = ''.join(','.join(fmt_csv(c) for c in row) + '\n' for row in out)
    sys.stdout.buffer.write(text.encode('utf-8', 'surrogateescape'))


if __name__ == '__main__':
    main()
