package run

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/internal/heapwatch"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/settings"
)

// The export of a run without the database: the payments come from a generator shaped like what
// schedule.EachAttempt decodes (EndToEndId, amount, creditor with its stored IBAN, remittance), so that the
// service's own part of an export — the plan's pass (each creditor's hold check, count and sum), then the file
// (each IBAN parsed again, transliteration, the writer's checks, SHA-256) — is measured against encoding/xml alone
// on the same transactions. BenchmarkPaymentRun (root package) measures the whole run against a database.

var benchNames = []string{"Jean Dupont", "Hélène Lefèvre", "Mohamed El Amrani", "Anna Kowalska", "Pieter Van den Broeck",
	"Fatima Zahra Benali", "Luc Peeters", "Françoise Dubois", "Ahmet Yilmaz", "Marie Janssens"}

var benchIBANs = []string{"BE21001234567803", "BE05068123456775", "BE68539007547034"}

var benchCreditors = func() []schedule.Creditor {
	out := make([]schedule.Creditor, 0, len(benchNames)*len(benchIBANs))
	for i := range len(benchNames) * len(benchIBANs) {
		out = append(out, schedule.Creditor{Name: benchNames[i%len(benchNames)], IBAN: benchIBANs[i%len(benchIBANs)]})
	}
	return out
}()

const benchRef = "RIS 2026-12 DEC 1A2B3C4D"

func benchAttempt(i int) (string, schedule.Attempt) {
	e2e := "E2E-P2026-000001-" + strconv.Itoa(1000000 + i)[1:]
	return e2e, schedule.Attempt{RunID: "run", EndToEndID: e2e, AmountCents: int64(50000 + i%150000),
		Creditor: &benchCreditors[i%len(benchCreditors)], Reference: benchRef}
}

func benchEach(n int, w *heapwatch.Watch, b *testing.B) func(fn func(id string, at schedule.Attempt) error) error {
	return func(fn func(id string, at schedule.Attempt) error) error {
		for i := range n {
			id, at := benchAttempt(i)
			if err := fn(id, at); err != nil {
				return err
			}
			if i%(n/10) == n/20 {
				w.Checkpoint(b)
			}
		}
		return nil
	}
}

// BenchmarkExport: the plan's pass and the file of a run of n payments, from memory to io.Discard.
func BenchmarkExport(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("payments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak, retained float64
			for b.Loop() {
				b.StopTimer()
				w := heapwatch.Start()
				base := w.Baseline()
				b.StartTimer()
				plan := Export{PainVersion: settings.Pain09, CreatedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
					DebtorName: "CPAS de Liège", DebtorIBAN: "BE21001234567803", BatchBooking: true, Held: []Held{}}
				err := benchEach(n, w, b)(func(id string, at schedule.Attempt) error {
					if r := creditorHold(at.Creditor); r != "" {
						plan.Held = append(plan.Held, Held{InstalmentID: id, EndToEndID: at.EndToEndID, AmountCents: at.AmountCents, Reason: r})
						return nil
					}
					plan.Count++
					plan.TotalCents += at.AmountCents
					return nil
				})
				if err != nil || plan.Count != n {
					b.Fatalf("plan: %v, %d payments", err, plan.Count)
				}
				rec := Record{ID: "run", State: Run{Number: "P2026-000001", ExecutionDate: civil.MustNew(2026, 12, 1),
					MsgID: msgID("P2026-000001"), PmtInfID: pmtInfID("P2026-000001"), Export: &plan}}
				if _, _, err := writeFile(io.Discard, rec, benchEach(n, w, b)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peak, retained = max(peak, w.Stop()), max(retained, w.RetainedKiB()-base)
				b.StartTimer()
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(retained, "retained-KiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/payment")
		})
	}
}

type xmlTx struct {
	XMLName    xml.Name `xml:"CdtTrfTxInf"`
	EndToEndID string   `xml:"PmtId>EndToEndId"`
	Amt        struct {
		Ccy   string `xml:",attr"`
		Value string `xml:",chardata"`
	} `xml:"Amt>InstdAmt"`
	Nm    string `xml:"Cdtr>Nm"`
	IBAN  string `xml:"CdtrAcct>Id>IBAN"`
	Ustrd string `xml:"RmtInf>Ustrd"`
}

// BenchmarkExportEncodingXML: the same n transactions streamed with encoding/xml's Encoder alone (one Encode per
// transaction, no plan, checks, transliteration, totals or hash) — the baseline.
func BenchmarkExportEncodingXML(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("payments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak, retained float64
			for b.Loop() {
				b.StopTimer()
				w := heapwatch.Start()
				base := w.Baseline()
				b.StartTimer()
				enc := xml.NewEncoder(io.Discard)
				doc := xml.StartElement{Name: xml.Name{Local: "Document"}}
				pmt := xml.StartElement{Name: xml.Name{Local: "PmtInf"}}
				_ = enc.EncodeToken(doc)
				_ = enc.EncodeToken(pmt)
				err := benchEach(n, w, b)(func(_ string, at schedule.Attempt) error {
					x := xmlTx{EndToEndID: at.EndToEndID, Nm: at.Creditor.Name, IBAN: at.Creditor.IBAN, Ustrd: at.Reference}
					x.Amt.Ccy, x.Amt.Value = "EUR", strconv.FormatInt(at.AmountCents/100, 10)+"."+fmt.Sprintf("%02d", at.AmountCents%100)
					return enc.Encode(x)
				})
				if err != nil {
					b.Fatal(err)
				}
				_ = enc.EncodeToken(pmt.End())
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/payment")
		})
	}
}
