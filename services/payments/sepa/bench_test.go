package sepa

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/services/payments/internal/heapwatch"
)

// benchNames: one name in five has accents to transliterate, as in a CPAS's population.
var benchNames = []string{"Jean Dupont", "Hélène Lefèvre", "Mohamed El Amrani", "Anna Kowalska", "Pieter Van den Broeck",
	"Fatima Zahra Benali", "Luc Peeters", "Françoise Dubois", "Ahmet Yilmaz", "Marie Janssens"}

var benchIBANs = []iban.IBAN{iban.MustParse("BE21001234567803"), iban.MustParse("BE05068123456775"), iban.MustParse("BE68539007547034")}

func benchTx(i int) Transaction {
	return Transaction{
		EndToEndID:   "E2E-2026-12-" + strconv.Itoa(1000000+i),
		AmountCents:  int64(50000 + i%150000),
		CreditorName: benchNames[i%len(benchNames)],
		CreditorIBAN: benchIBANs[i%len(benchIBANs)],
		Unstructured: "RIS decembre 2026 - decision D-2026-0042",
	}
}

func benchTotal(n int) int64 {
	var s int64
	for i := 0; i < n; i++ {
		s += benchTx(i).AmountCents
	}
	return s
}

// BenchmarkPain001Writer writes a pain.001.001.09 of n transactions in one batch-booked block to io.Discard.
func BenchmarkPain001Writer(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			total := benchTotal(n)
			b.ReportAllocs()
			var peak, retained float64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w := heapwatch.Start()
				base := w.Baseline()
				b.StartTimer()
				out, err := NewWriter(io.Discard, Pain00100109, GroupHeader{MsgID: "BENCH-1", CreatedAt: created,
					NumberOfTransactions: n, ControlSumCents: total, InitiatingPartyName: "CPAS de Liège"})
				if err != nil {
					b.Fatal(err)
				}
				if err := out.StartPaymentInfo(PaymentInfo{ID: "BENCH-1-RIS", BatchBooking: true, ExecutionDate: civil.MustNew(2026, 12, 1),
					DebtorName: "CPAS de Liège", DebtorIBAN: cpasIBAN, NumberOfTransactions: n, ControlSumCents: total}); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < n; i++ {
					if err := out.Add(benchTx(i)); err != nil {
						b.Fatal(err)
					}
					if i%(n/10) == n/20 {
						w.Checkpoint(b)
					}
				}
				if err := out.Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peak, retained = max(peak, w.Stop()), max(retained, w.RetainedKiB()-base)
				b.StartTimer()
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(retained, "retained-KiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/tx")
		})
	}
}

// The baseline: the same transactions, streamed with encoding/xml's Encoder (one Encode per transaction), with no
// validation, transliteration or totals.
type xmlAmount int64

func (a xmlAmount) MarshalText() ([]byte, error) { return appendAmount(nil, int64(a)), nil }

type xmlTx struct {
	XMLName    xml.Name `xml:"CdtTrfTxInf"`
	EndToEndID string   `xml:"PmtId>EndToEndId"`
	Amt        struct {
		Ccy   string    `xml:",attr"`
		Value xmlAmount `xml:",chardata"`
	} `xml:"Amt>InstdAmt"`
	Nm    string `xml:"Cdtr>Nm"`
	IBAN  string `xml:"CdtrAcct>Id>IBAN"`
	Ustrd string `xml:"RmtInf>Ustrd"`
}

func BenchmarkPain001EncodingXML(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak, retained float64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w := heapwatch.Start()
				base := w.Baseline()
				b.StartTimer()
				enc := xml.NewEncoder(io.Discard)
				doc := xml.StartElement{Name: xml.Name{Local: "Document"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Pain00100109.Namespace()}}}
				root := xml.StartElement{Name: xml.Name{Local: "CstmrCdtTrfInitn"}}
				pmt := xml.StartElement{Name: xml.Name{Local: "PmtInf"}}
				_ = enc.EncodeToken(doc)
				_ = enc.EncodeToken(root)
				_ = enc.EncodeToken(pmt)
				for i := 0; i < n; i++ {
					t := benchTx(i)
					x := xmlTx{EndToEndID: t.EndToEndID, Nm: t.CreditorName, IBAN: t.CreditorIBAN.String(), Ustrd: t.Unstructured}
					x.Amt.Ccy, x.Amt.Value = "EUR", xmlAmount(t.AmountCents)
					if err := enc.Encode(x); err != nil {
						b.Fatal(err)
					}
					if i%(n/10) == n/20 {
						w.Checkpoint(b)
					}
				}
				_ = enc.EncodeToken(pmt.End())
				_ = enc.EncodeToken(root.End())
				_ = enc.EncodeToken(doc.End())
				if err := enc.Flush(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peak, retained = max(peak, w.Stop()), max(retained, w.RetainedKiB()-base)
				b.StartTimer()
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(retained, "retained-KiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/tx")
		})
	}
}
