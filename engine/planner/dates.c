/* Calendar dates as whole days since 1970-01-01 (proleptic Gregorian). */
#include <stdio.h>
#include <string.h>

#include <clearplan/scenario.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
cp_date cp_date_make(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (cp_date)(era * 146097 + (int)doe - 719468);
}

void cp_date_split(cp_date z0, int *year, int *month, int *day) {
    long z = (long)z0 + 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long y = (long)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    if (year) *year = (int)(y + (m <= 2));
    if (month) *month = (int)m;
    if (day) *day = (int)d;
}

int cp_date_parse(const char *s, cp_date *out) {
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return 0;
    if (s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31) return 0;
    for (int k = 0; k < 10; ++k) /* digits only: no sign (-001, +026), no blanks */
        if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9')) return 0;
    cp_date v = cp_date_make(y, m, d);
    int y2, m2, d2;
    cp_date_split(v, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d) return 0; /* e.g. 2026-02-30 */
    *out = v;
    return 1;
}

char *cp_date_format(cp_date d, char *buf) {
    int y, m, day;
    cp_date_split(d, &y, &m, &day);
    if (y > 9999) /* a date past what YYYY-MM-DD can say (an ideal bound of absurd inputs) */
        snprintf(buf, 11, "after 9999");
    else if (y < 0)
        snprintf(buf, 11, "before 0");
    else /* the ranges said to the compiler: four digits, two, two */
        snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
                 (unsigned)day % 100u);
    return buf;
}
