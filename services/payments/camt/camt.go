// Package camt reads the bank-to-customer statement that Belgian banks send for the CPAS's accounts: the ISO 20022
// camt.053 message in its versions .001.02 (the 2009 one most banks still send) and .001.08 (domain.md §7). The
// Parser streams: it walks the xml.Decoder's tokens and hands back the statement header (account, sequence
// numbers, opening and closing booked balances) and then one entry at a time, so a statement of 100,000 entries
// takes the memory of one. It keeps what reconciliation needs: amount and direction, status, dates, the bank's
// reference, the batch of a batch-booked debit (PmtInfId, number of transactions, total), and for each
// transaction its EndToEndId, PmtInfId, remittance (structured OGM or text), the other party's name and IBAN and
// the return reason of a returned payment. It refuses what it should not read: a DOCTYPE or entity (no XML
// entity tricks), another namespace or version, a file cut short; every error names the element and the line.
package camt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
)

// Namespaces of the versions the Parser reads.
const (
	NamespaceV02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
	NamespaceV08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
)

// Errors the Parser returns, wrapped in an *Error that names the element and the line.
var (
	ErrInsecure   = errors.New("camt: DOCTYPE or entity declarations are refused")
	ErrVersion    = errors.New("camt: not a camt.053.001.02 or camt.053.001.08 statement")
	ErrTruncated  = errors.New("camt: file ends before the statement does")
	ErrSyntax     = errors.New("camt: malformed XML")
	ErrInvalid    = errors.New("camt: invalid value")
	ErrMissing    = errors.New("camt: missing element")
	ErrContinuity = errors.New("camt: balances do not follow")
	ErrSequence   = errors.New("camt: statements do not follow")
)

// Error is a parse error at a place in the file.
type Error struct {
	Line    int    // 1-based line in the file
	Element string // path from the statement, e.g. Stmt/Ntry/Amt
	Err     error  // one of the sentinels above, possibly wrapped with a detail
}

func (e *Error) Error() string {
	if e.Element == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, element %s: %v", e.Line, e.Element, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// CreditDebit says which way money moved on the account.
type CreditDebit string

// The two directions of ISO 20022's CreditDebitCode.
const (
	Credit CreditDebit = "CRDT" // money in
	Debit  CreditDebit = "DBIT" // money out
)

// Balance is a booked balance: positive when in credit, negative when overdrawn.
type Balance struct {
	AmountCents int64
	Date        civil.Date
}

// Statement is the header of one account statement. Its balances are known before the first entry, as the
// message puts them first.
type Statement struct {
	Version            string // "camt.053.001.02" or "camt.053.001.08"
	MessageID          string // GrpHdr/MsgId
	ID                 string // Stmt/Id
	ElectronicSequence int64  // ElctrncSeqNb, 0 when absent
	LegalSequence      int64  // LglSeqNb, 0 when absent
	CreatedAt          time.Time
	Account            iban.IBAN
	Currency           string
	Opening            Balance // OPBD (or PRCD, the previous closing, when the bank sends that instead)
	Closing            Balance // CLBD
	Line               int     // line of <Stmt>
}

// Batch is what the bank says about a batch-booked entry: one debit line for a whole payment information block.
type Batch struct {
	MessageID            string
	PmtInfID             string
	NumberOfTransactions int // 0 when absent
	TotalCents           int64
	CreditDebit          CreditDebit
}

// Party is the other side of a transaction.
type Party struct {
	Name string
	IBAN string // as the bank wrote it (compact); not checked, a foreign account may be outside SEPA
}

// Transaction is one transaction of an entry (TxDtls): a batch-booked entry has several.
type Transaction struct {
	MessageID          string
	AccountServicerRef string
	PmtInfID           string
	InstructionID      string
	EndToEndID         string // NOTPROVIDED when the payer gave none
	TransactionID      string
	AmountCents        int64       // 0 when the bank did not repeat it
	CreditDebit        CreditDebit // empty when the bank did not repeat it
	Debtor, Creditor   Party
	Unstructured       string // RmtInf/Ustrd, several joined by a space
	StructuredRef      string // RmtInf/Strd/CdtrRefInf/Ref as written
	StructuredRefType  string // e.g. SCOR
	StructuredIssuer   string // e.g. BBA
	OGM                ogm.OGM
	ReturnReason       string // RtrInf/Rsn/Cd (AC01, AC04, MD07…) or Prtry
	ReturnInfo         string // RtrInf/AddtlInf
	AdditionalInfo     string
}

// Entry is one line of the statement.
type Entry struct {
	Line                int // line of <Ntry>
	Reference           string
	AmountCents         int64
	Currency            string
	CreditDebit         CreditDebit
	Reversal            bool
	Status              string // BOOK, PDNG, INFO
	BookingDate         civil.Date
	ValueDate           civil.Date
	AccountServicerRef  string
	BankTransactionCode string // Domain/Family/SubFamily, e.g. PMNT/ICDT/ESCT, or the proprietary code
	Batches             []Batch
	Transactions        []Transaction
	AdditionalInfo      string
}

// Booked reports whether the entry is booked (counts in the balances).
func (e *Entry) Booked() bool { return e.Status == "BOOK" }

// Signed returns the amount as it moves the balance: positive for a credit, negative for a debit.
func (e *Entry) Signed() int64 {
	if e.CreditDebit == Debit {
		return -e.AmountCents
	}
	return e.AmountCents
}

// Running adds up the booked entries of a statement as they stream by, for the continuity check.
type Running struct {
	Entries int
	Cents   int64
}

// Add counts e when it is booked.
func (r *Running) Add(e *Entry) {
	if e.Booked() {
		r.Entries++
		r.Cents += e.Signed()
	}
}

// CheckContinuity verifies that the opening balance plus the booked entries gives the closing balance.
func CheckContinuity(s *Statement, r Running) error {
	if s.Opening.AmountCents+r.Cents != s.Closing.AmountCents {
		return fmt.Errorf("%w: statement %s opens at %s, its %d booked entries add %s, but it closes at %s",
			ErrContinuity, s.ID, euros(s.Opening.AmountCents), r.Entries, euros(r.Cents), euros(s.Closing.AmountCents))
	}
	return nil
}

// CheckSequence verifies that next follows prev on the same account: the electronic sequence number goes up by
// one and next opens at prev's closing balance.
func CheckSequence(prev, next *Statement) error {
	if prev.Account != next.Account {
		return fmt.Errorf("%w: statements of different accounts", ErrSequence)
	}
	if prev.ElectronicSequence != 0 && next.ElectronicSequence != prev.ElectronicSequence+1 {
		return fmt.Errorf("%w: sequence %d after %d", ErrSequence, next.ElectronicSequence, prev.ElectronicSequence)
	}
	if next.Opening.AmountCents != prev.Closing.AmountCents {
		return fmt.Errorf("%w: opens at %s after a close at %s", ErrSequence, euros(next.Opening.AmountCents), euros(prev.Closing.AmountCents))
	}
	return nil
}

func euros(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// parseCents reads an ISO 20022 amount (digits, optional point, up to five decimals) into cents; decimals past the
// second must be zero.
func parseCents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty amount", ErrInvalid)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || len(frac) > 5 {
		return 0, fmt.Errorf("%w: amount %q", ErrInvalid, s)
	}
	var n int64
	for i := 0; i < len(whole); i++ {
		c := whole[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: amount %q", ErrInvalid, s)
		}
		n = n*10 + int64(c-'0')
	}
	var cents int64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: amount %q", ErrInvalid, s)
		}
		switch {
		case i < 2:
			cents = cents*10 + int64(c-'0')
		case c != '0':
			return 0, fmt.Errorf("%w: amount %q has fractions of a cent", ErrInvalid, s)
		}
	}
	if len(frac) == 1 {
		cents *= 10
	}
	return n*100 + cents, nil
}

// parseDate reads an ISODate, or the date part of an ISODateTime.
func parseDate(s string) (civil.Date, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10]
	}
	d, err := civil.Parse(s)
	if err != nil {
		return civil.Date{}, fmt.Errorf("%w: date %q", ErrInvalid, s)
	}
	return d, nil
}

func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		loc := time.UTC
		if layout != time.RFC3339Nano {
			loc = civil.Brussels
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: date-time %q", ErrInvalid, s)
}

func parseNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: number %q", ErrInvalid, s)
	}
	return n, nil
}

func parseCreditDebit(s string) (CreditDebit, error) {
	switch CreditDebit(strings.TrimSpace(s)) {
	case Credit:
		return Credit, nil
	case Debit:
		return Debit, nil
	}
	return "", fmt.Errorf("%w: credit/debit indicator %q", ErrInvalid, s)
}
