package camt

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/entraide/entraide/services/payments/internal/heapwatch"
)

// writeBig writes a camt.053.001.08 with n booked entries of one transaction each (returned payments, incoming
// transfers with an OGM, outgoing ones with an EndToEndId), balanced, and returns its path and size.
func writeBig(b *testing.B, n int) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), fmt.Sprintf("camt-%d.xml", n))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var sum int64
	amount := func(i int) int64 { return int64(1000 + i%200000) }
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			sum -= amount(i)
		} else {
			sum += amount(i)
		}
	}
	open := int64(100_000_000)
	cd := func(c int64) string {
		if c < 0 {
			return "DBIT"
		}
		return "CRDT"
	}
	abs := func(c int64) int64 { return max(c, -c) }
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="%s">
<BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-12-02T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>
`, NamespaceV08, euros(open), euros(abs(open+sum)), cd(open+sum))
	for i := 0; i < n; i++ {
		a := euros(amount(i))
		var rmt, party, dir, rtr string
		switch i % 3 {
		case 0:
			dir = "DBIT"
			party = `<Cdtr><Pty><Nm>Helene Lefevre</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>BE21001234567803</IBAN></Id></CdtrAcct>`
			rmt = `<Ustrd>RIS decembre 2026 - decision D-2026-0042</Ustrd>`
		case 1:
			dir = "CRDT"
			party = `<Dbtr><Pty><Nm>Marc Dubois</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>BE62510007547061</IBAN></Id></DbtrAcct>`
			rmt = `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp><Ref>090933755493</Ref></CdtrRefInf></Strd>`
		case 2:
			dir = "CRDT"
			party = `<Cdtr><Pty><Nm>Jean-Francois AErts</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>BE05068123456775</IBAN></Id></CdtrAcct>`
			rmt = `<Ustrd>RIS decembre 2026 - decision D-2026-0043</Ustrd>`
			rtr = `<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>`
		}
		fmt.Fprintf(w, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>REF%09d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><MsgId>RUN-1</MsgId><PmtInfId>RUN-1-RIS</PmtInfId><EndToEndId>E2E-%09d</EndToEndId></Refs><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><RltdPties>%s</RltdPties><RmtInf>%s</RmtInf>%s</TxDtls></NtryDtls></Ntry>
`, a, dir, i, i, a, dir, party, rmt, rtr)
	}
	fmt.Fprint(w, "</Stmt>\n</BkToCstmrStmt>\n</Document>\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkParse parses a camt.053 of n entries from a file, with the continuity check, and reports the peak and
// retained heap.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			path, size := writeBig(b, n)
			b.SetBytes(size)
			b.ReportAllocs()
			var peak, retained float64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w := heapwatch.Start()
				base := w.Baseline()
				b.StartTimer()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				p := NewParser(bufio.NewReaderSize(f, 64<<10))
				st, err := p.NextStatement()
				if err != nil {
					b.Fatal(err)
				}
				var r Running
				for i := 0; ; i++ {
					e, err := p.NextEntry()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					r.Add(e)
					if i%(n/10) == n/20 {
						w.Checkpoint(b)
					}
				}
				if err := CheckContinuity(st, r); err != nil || r.Entries != n {
					b.Fatal(err, r.Entries)
				}
				f.Close()
				b.StopTimer()
				peak, retained = max(peak, w.Stop()), max(retained, w.RetainedKiB()-base)
				b.StartTimer()
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(retained, "retained-KiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
		})
	}
}

// BenchmarkDecoderAlone is the floor: the same file through xml.Decoder.Token with nothing done with the tokens.
func BenchmarkDecoderAlone(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			path, size := writeBig(b, n)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				d := xml.NewDecoder(bufio.NewReaderSize(f, 64<<10))
				for {
					if _, err := d.Token(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
		})
	}
}
