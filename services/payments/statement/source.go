package statement

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/camt"
	"github.com/entraide/entraide/services/payments/coda"
)

// Formats of a bank statement file.
const (
	FormatCAMT = "camt.053"
	FormatCODA = "coda"
)

// Balance is a booked balance of the account: positive in credit.
type Balance struct {
	Cents int64      `bson:"cents" json:"cents"`
	Date  civil.Date `bson:"date" json:"date"`
}

// Header is what a statement says of itself, read before its lines (the closing balance of a CODA statement is
// known after them).
type Header struct {
	Version       string    `bson:"format_version" json:"format_version"` // camt.053.001.08, camt.053.001.02, coda.2
	MessageID     string    `bson:"message_id,omitempty" json:"message_id,omitempty"`
	StatementID   string    `bson:"statement_id" json:"statement_id"`
	Sequence      int64     `bson:"sequence" json:"sequence"`
	LegalSequence int64     `bson:"legal_sequence,omitempty" json:"legal_sequence,omitempty"`
	Account       string    `bson:"account" json:"account"`
	Currency      string    `bson:"currency" json:"currency"`
	Opening       Balance   `bson:"opening" json:"opening"`
	Closing       Balance   `bson:"closing" json:"closing"`
	CreatedAt     time.Time `bson:"created_at,omitzero" json:"created_at,omitzero"`
	// Line is the line of the statement's start in the file (camt <Stmt>, CODA record 1).
	Line int `bson:"line" json:"line"`
}

// Batch is a batch-booked debit: one line for a whole payment information block.
type Batch struct {
	MessageID  string `bson:"msg_id,omitempty" json:"msg_id,omitempty"`
	PmtInfID   string `bson:"pmt_inf_id" json:"pmt_inf_id"`
	Count      int    `bson:"count,omitempty" json:"count,omitempty"`
	TotalCents int64  `bson:"total_cents,omitempty" json:"total_cents,omitempty"`
}

// Tx is one transaction of a line (camt TxDtls, CODA movement or detail of a globalisation).
type Tx struct {
	EndToEndID   string `bson:"e2e,omitempty" json:"end_to_end_id,omitempty"`
	PmtInfID     string `bson:"pmt,omitempty" json:"pmt_inf_id,omitempty"`
	AmountCents  int64  `bson:"amt,omitempty" json:"amount_cents,omitempty"`
	Name         string `bson:"name,omitempty" json:"name,omitempty"`
	IBAN         string `bson:"iban,omitempty" json:"iban,omitempty"`
	Remittance   string `bson:"rmt,omitempty" json:"remittance,omitempty"`
	OGM          string `bson:"ogm,omitempty" json:"ogm,omitempty"` // the twelve digits
	ReturnReason string `bson:"rtr,omitempty" json:"return_reason,omitempty"`
}

// Line is one line (entry) of a statement, as stored with the statement and reconciled.
type Line struct {
	Index       int        `bson:"i" json:"index"`
	SourceLine  int        `bson:"src" json:"source_line"`
	AmountCents int64      `bson:"amt" json:"amount_cents"`
	Credit      bool       `bson:"cr" json:"credit"`
	Reversal    bool       `bson:"rev,omitempty" json:"reversal,omitempty"`
	Booked      bool       `bson:"book" json:"booked"`
	BookingDate civil.Date `bson:"bd" json:"booking_date"`
	ValueDate   civil.Date `bson:"vd,omitempty" json:"value_date,omitzero"`
	BankRef     string     `bson:"ref,omitempty" json:"bank_reference,omitempty"`
	BankTxCode  string     `bson:"code,omitempty" json:"bank_transaction_code,omitempty"`
	Batch       *Batch     `bson:"batch,omitempty" json:"batch,omitempty"`
	Txs         []Tx       `bson:"txs,omitempty" json:"transactions,omitempty"`
	Info        string     `bson:"info,omitempty" json:"info,omitempty"`
	// Outcome of the reconciliation (see package reconcile): "", booked, returned, receivable, unmatched,
	// ignored, matched (manually).
	Outcome string `bson:"out,omitempty" json:"outcome,omitempty"`
}

// Signed is the line's effect on the balance.
func (l *Line) Signed() int64 {
	if l.Credit {
		return l.AmountCents
	}
	return -l.AmountCents
}

// Return tells whether the line gives back a payment (a credit with a return reason).
func (l *Line) Return() bool {
	if !l.Credit {
		return false
	}
	for _, t := range l.Txs {
		if t.ReturnReason != "" {
			return true
		}
	}
	return false
}

// FileError is a refusal of the file at a place: the line and the element (camt) or record and field (CODA).
type FileError struct {
	Code    string // payments.statement_*
	Line    int
	Element string
	Detail  string // no personal data: balances of the CPAS's account and sequence numbers at most
	Err     error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("statement: line %d %s: %s", e.Line, e.Element, e.Code)
}

func (e *FileError) Unwrap() error { return e.Err }

// source reads statements one at a time, whatever the format.
type source interface {
	// next returns the next statement's header, or io.EOF.
	next() (*Header, error)
	// line returns the next line of the current statement, or io.EOF after its last; the header's closing
	// balance is then known and the continuity checked.
	line() (*Line, error)
}

// sniff tells the format from the first bytes: '<' is XML, '0' a CODA header record.
func sniff(br *bufio.Reader) (string, error) {
	for i := 1; i <= 64; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		c := b[i-1]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case i == 1 && c == 0xEF: // UTF-8 byte order mark
			if bb, _ := br.Peek(3); len(bb) == 3 && bb[1] == 0xBB && bb[2] == 0xBF {
				_, _ = br.Discard(3)
				return sniff(br)
			}
			return "", nil
		case c == '<':
			return FormatCAMT, nil
		case c == '0':
			return FormatCODA, nil
		}
		return "", nil
	}
	return "", nil
}

func newSource(format string, r io.Reader) source {
	if format == FormatCODA {
		return &codaSource{p: coda.NewParser(r)}
	}
	return &camtSource{p: camt.NewParser(r)}
}

// fileError turns a parser's error into a FileError.
func fileError(err error) error {
	var ce *camt.Error
	var de *coda.Error
	switch {
	case errors.As(err, &ce):
		fe := &FileError{Line: ce.Line, Element: ce.Element, Err: err}
		switch {
		case errors.Is(err, camt.ErrInsecure):
			fe.Code = "payments.statement_doctype"
		case errors.Is(err, camt.ErrVersion):
			fe.Code = "payments.statement_version"
		case errors.Is(err, camt.ErrTruncated):
			fe.Code = "payments.statement_truncated"
		case errors.Is(err, camt.ErrSyntax):
			fe.Code = "payments.statement_malformed"
		case errors.Is(err, camt.ErrMissing):
			fe.Code = "payments.statement_missing"
		case errors.Is(err, camt.ErrContinuity):
			fe.Code = "payments.statement_continuity"
		default:
			fe.Code = "payments.statement_invalid"
		}
		return fe
	case errors.As(err, &de):
		el := "record " + de.Record
		if de.Record == "" {
			el = "record"
		}
		if de.Field != "" {
			el += " " + de.Field
		}
		fe := &FileError{Line: de.Line, Element: el, Err: err}
		switch {
		case errors.Is(err, coda.ErrTruncated):
			fe.Code = "payments.statement_truncated"
		case errors.Is(err, coda.ErrFormat), errors.Is(err, coda.ErrLength):
			fe.Code = "payments.statement_malformed"
		case errors.Is(err, coda.ErrContinuity), errors.Is(err, coda.ErrTrailer):
			fe.Code = "payments.statement_continuity"
		default:
			fe.Code = "payments.statement_invalid"
		}
		return fe
	}
	return err
}

// ---- camt.053 ----

type camtSource struct {
	p   *camt.Parser
	h   *Header
	st  *camt.Statement
	run camt.Running
	n   int
}

func (s *camtSource) next() (*Header, error) {
	st, err := s.p.NextStatement()
	if err != nil {
		if err == io.EOF {
			return nil, err
		}
		return nil, fileError(err)
	}
	s.st, s.run, s.n = st, camt.Running{}, 0
	seq := st.ElectronicSequence
	if seq == 0 {
		seq = st.LegalSequence
	}
	s.h = &Header{Version: st.Version, MessageID: st.MessageID, StatementID: st.ID, Sequence: seq, LegalSequence: st.LegalSequence,
		Account: st.Account.String(), Currency: st.Currency, Opening: Balance{st.Opening.AmountCents, st.Opening.Date},
		Closing: Balance{st.Closing.AmountCents, st.Closing.Date}, CreatedAt: st.CreatedAt, Line: st.Line}
	return s.h, nil
}

func (s *camtSource) line() (*Line, error) {
	e, err := s.p.NextEntry()
	if err == io.EOF {
		if err := camt.CheckContinuity(s.st, s.run); err != nil {
			return nil, &FileError{Code: "payments.statement_continuity", Line: s.st.Line, Element: "Stmt/Bal", Detail: err.Error(), Err: err}
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, fileError(err)
	}
	s.run.Add(e)
	l := &Line{Index: s.n, SourceLine: e.Line, AmountCents: e.AmountCents, Credit: e.CreditDebit == camt.Credit, Reversal: e.Reversal,
		Booked: e.Booked(), BookingDate: e.BookingDate, ValueDate: e.ValueDate, BankRef: e.AccountServicerRef,
		BankTxCode: e.BankTransactionCode, Info: e.AdditionalInfo}
	if l.BankRef == "" {
		l.BankRef = e.Reference
	}
	s.n++
	if len(e.Batches) > 0 {
		b := e.Batches[0]
		l.Batch = &Batch{MessageID: b.MessageID, PmtInfID: b.PmtInfID, Count: b.NumberOfTransactions, TotalCents: b.TotalCents}
	}
	for _, t := range e.Transactions {
		tx := Tx{EndToEndID: t.EndToEndID, PmtInfID: t.PmtInfID, AmountCents: t.AmountCents, ReturnReason: t.ReturnReason}
		if tx.EndToEndID == "NOTPROVIDED" {
			tx.EndToEndID = ""
		}
		party := t.Creditor
		if l.Credit != (t.ReturnReason != "") { // money in: the debtor paid us (a return names the original creditor)
			party = t.Debtor
		}
		if party.Name == "" && party.IBAN == "" {
			party = t.Creditor
			if party.Name == "" && party.IBAN == "" {
				party = t.Debtor
			}
		}
		tx.Name, tx.IBAN = party.Name, party.IBAN
		tx.Remittance = t.Unstructured
		if !t.OGM.IsZero() {
			tx.OGM = t.OGM.String()
		} else if t.StructuredRef != "" && tx.Remittance == "" {
			tx.Remittance = t.StructuredRef
		}
		if tx.AmountCents == 0 && len(e.Transactions) == 1 {
			tx.AmountCents = e.AmountCents
		}
		l.Txs = append(l.Txs, tx)
	}
	if l.Batch == nil && len(l.Txs) > 1 {
		// Several transactions of one payment information block on one debit line: a batch without Btch.
		pmt := l.Txs[0].PmtInfID
		same := pmt != ""
		for _, t := range l.Txs[1:] {
			same = same && t.PmtInfID == pmt
		}
		if same && !l.Credit {
			l.Batch = &Batch{PmtInfID: pmt, Count: len(l.Txs), TotalCents: e.AmountCents}
		}
	}
	return l, nil
}

// ---- CODA 2.6 ----

type codaSource struct {
	p       *coda.Parser
	h       *Header
	st      *coda.Statement
	run     coda.Running
	n       int
	pending *coda.Movement // a movement read ahead (the next line's first)
	done    bool
}

func (s *codaSource) next() (*Header, error) {
	st, err := s.p.NextStatement()
	if err != nil {
		if err == io.EOF {
			return nil, err
		}
		return nil, fileError(err)
	}
	s.st, s.run, s.n, s.pending, s.done = st, coda.Running{}, 0, nil, false
	acct := st.Account.String()
	if acct == "" {
		acct = st.AccountNumber
	}
	s.h = &Header{Version: "coda." + strconv.Itoa(st.Version), StatementID: fmt.Sprintf("%d-%03d", st.Old.Date.Year(), st.Sequence),
		Sequence: int64(st.Sequence), LegalSequence: int64(st.PaperSequence), Account: acct, Currency: st.Currency,
		Opening: Balance{st.Old.AmountCents, st.Old.Date}, Line: st.Line + 1}
	if !st.CreationDate.IsZero() {
		s.h.CreatedAt = st.CreationDate.Start()
	}
	return s.h, nil
}

func (s *codaSource) read() (*coda.Movement, error) {
	if s.pending != nil {
		m := s.pending
		s.pending = nil
		return m, nil
	}
	if s.done {
		return nil, io.EOF
	}
	m, err := s.p.NextMovement()
	if err == io.EOF {
		s.done = true
		return nil, io.EOF
	}
	if err != nil {
		return nil, fileError(err)
	}
	s.run.Add(m)
	return m, nil
}

func (s *codaSource) line() (*Line, error) {
	m, err := s.read()
	if err == io.EOF {
		s.h.Closing = Balance{s.st.New.AmountCents, s.st.New.Date}
		if err := coda.CheckContinuity(s.st, s.run); err != nil {
			return nil, &FileError{Code: "payments.statement_continuity", Line: s.h.Line, Element: "record 8 new balance", Detail: err.Error(), Err: err}
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	if m.IsDetail() {
		return nil, &FileError{Code: "payments.statement_invalid", Line: m.Line, Element: "record 2.1 detail number",
			Err: errors.New("a detail without its globalised movement")}
	}
	l := &Line{Index: s.n, SourceLine: m.Line, AmountCents: m.AmountCents, Credit: !m.Debit, Booked: true, BookingDate: m.EntryDate,
		ValueDate: m.ValueDate, BankRef: m.BankReference, BankTxCode: m.TransactionCode, Info: strings.TrimSpace(m.Information)}
	s.n++
	if m.Globalisation > 0 {
		// A globalised movement (batch booking): its reference is the PmtInfId; its details follow.
		ref := m.EndToEndID
		if ref == "" {
			ref = m.Communication
		}
		l.Batch = &Batch{PmtInfID: ref, TotalCents: m.AmountCents}
		for {
			d, err := s.read()
			if err == io.EOF {
				s.pending, s.done = nil, true
				return l, nil // the closing is checked on the next call
			}
			if err != nil {
				return nil, err
			}
			if !d.IsDetail() {
				s.pending = d
				break
			}
			l.Txs = append(l.Txs, codaTx(d))
			l.Batch.Count++
		}
		return l, nil
	}
	l.Txs = []Tx{codaTx(m)}
	return l, nil
}

func codaTx(m *coda.Movement) Tx {
	t := Tx{EndToEndID: m.EndToEndID, AmountCents: m.AmountCents, Name: m.Counterparty.Name, IBAN: m.Counterparty.Account,
		Remittance: m.Communication}
	if t.EndToEndID == "NOTPROVIDED" {
		t.EndToEndID = ""
	}
	if !m.OGM.IsZero() {
		t.OGM = m.OGM.String()
		t.Remittance = ""
	}
	if m.RType == "1" || m.RType == "2" {
		t.ReturnReason = m.ReturnReason
		if t.ReturnReason == "" {
			t.ReturnReason = "MS03"
		}
	}
	return t
}
