// F16 / BF16 conversions: exhaustive round trip and round-to-nearest-even.
#include "common/half.h"

#include <QtTest>
#include <cmath>

class TestHalf : public QObject {
    Q_OBJECT
private slots:
    void everyHalfRoundTrips() {
        int checked = 0;
        for (uint32_t h = 0; h < 65536; ++h) {
            const float f = qb::halfToFloat(uint16_t(h));
            if (std::isnan(f)) continue;
            QCOMPARE(qb::floatToHalf(f), uint16_t(h));
            ++checked;
        }
        QCOMPARE(checked, 65536 - 2 * 1023); // all but the 2 x 1023 NaN encodings
    }
    void roundsToNearestEven() {
        // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to even (1.0)
        QCOMPARE(qb::floatToHalf(1.0f + std::ldexp(1.0f, -11)), uint16_t(0x3C00));
        // 1 + 3*2^-11 lies between 1+2^-10 (odd) and 1+2^-9 (even): goes up
        QCOMPARE(qb::floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), uint16_t(0x3C02));
        QCOMPARE(qb::floatToHalf(65520.0f), uint16_t(0x7C00)); // overflows to +inf
        QCOMPARE(qb::halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
    }
    void bf16() {
        QCOMPARE(qb::bf16ToFloat(qb::floatToBf16(1.0f)), 1.0f);
        QCOMPARE(qb::floatToBf16(1.0f + std::ldexp(1.0f, -8)), uint16_t(0x3F80)); // tie to even
        QCOMPARE(qb::floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), uint16_t(0x3F82));
        QVERIFY(std::isnan(qb::bf16ToFloat(qb::floatToBf16(std::nanf("")))));
    }
};

QTEST_APPLESS_MAIN(TestHalf)
#include "test_half.moc"
