// Package coda reads CODA 2.6 ("COded DAily statement", Febelfin), the Belgian banks' own statement format that
// many CPAS accounting packages still import (domain.md §7): lines of 128 characters, often in Latin-1, each a
// record — 0 header, 1 old balance, 2.1/2.2/2.3 a movement (amount with three implied decimals, sign, dates,
// transaction code, communication, the EndToEndId in 2.2 positions 64–98, R-transaction reason, counterparty
// IBAN and name in 2.3), 3.1/3.2/3.3 information on a movement, 4 free communication, 8 new balance and 9 the
// trailer with the file's own record count and debit and credit sums. The Parser streams movement by movement,
// checks what the file says about itself (record order, sequence and detail numbers, account of records 1 and 8,
// the trailer) and names the line of every error. A structured communication of type 101 (or 102) is read as an
// OGM.
package coda

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
)

// RecordLength is the length of every CODA record.
const RecordLength = 128

// Errors the Parser returns, wrapped in an *Error naming the line.
var (
	ErrFormat     = errors.New("coda: not a CODA 2 file")
	ErrLength     = errors.New("coda: record is not 128 characters")
	ErrOrder      = errors.New("coda: record out of order")
	ErrInvalid    = errors.New("coda: invalid field")
	ErrTruncated  = errors.New("coda: file ends before its trailer")
	ErrTrailer    = errors.New("coda: trailer does not match the records")
	ErrContinuity = errors.New("coda: balances do not follow")
	ErrSequence   = errors.New("coda: statements do not follow")
)

// Error is a parse error on a line of the file.
type Error struct {
	Line   int    // 1-based
	Record string // "0", "1", "2.1", … "9"; empty when the record type itself is unknown
	Field  string // e.g. "amount"; empty for the record as a whole
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Record != "" {
		fmt.Fprintf(&b, " (record %s)", e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Balance is a balance with its sign: positive in credit, negative when overdrawn.
type Balance struct {
	AmountCents int64
	Date        civil.Date
}

// Statement is one account's daily statement: records 0 and 1 when NextStatement returns it; New, the trailer
// totals and FreeCommunication once NextMovement has returned io.EOF.
type Statement struct {
	Line          int // line of record 0
	CreationDate  civil.Date
	BankID        string
	Duplicate     bool
	FileReference string
	Addressee     string
	BIC           string
	CompanyID     string // identification number of the account holder (0 + enterprise number) or blank
	Version       int

	AccountStructure int       // 0 Belgian number, 1 foreign number, 2 Belgian IBAN, 3 foreign IBAN
	Account          iban.IBAN // for structures 2 and 3
	AccountNumber    string    // as written, for every structure
	Currency         string
	PaperSequence    int // statement number on paper (record 1 positions 3–5)
	Sequence         int // CODA sequence number (record 1 positions 126–128), from 001 each year
	HolderName       string
	Description      string
	Old              Balance
	New              Balance

	FreeCommunication string
	Records           int   // trailer: number of records 1, 2, 3 and 8
	DebitCents        int64 // trailer: sum of the debit movements with detail number 0000
	CreditCents       int64 // trailer: sum of the credit movements with detail number 0000
	MoreFiles         bool  // trailer: another file follows
}

// Party is the counterparty of a movement (record 2.3).
type Party struct {
	Name     string
	Account  string // IBAN or other number as written, compact
	Currency string
	BIC      string // from record 2.2
}

// Movement is one movement: a record 2.1 with its 2.2, 2.3 and information records 3.x.
type Movement struct {
	Line          int // line of its record 2.1
	Sequence      int // continuous sequence number
	Detail        int // 0 for the movement itself, 1… for the details of a globalisation
	BankReference string
	AmountCents   int64
	Debit         bool
	ValueDate     civil.Date // zero when the bank wrote 000000
	EntryDate     civil.Date
	// TransactionCode is the eight digits of record 2.1: type (1), family (2), transaction (2), category (3).
	TransactionCode string
	Globalisation   int

	Communication   string  // free text, or what follows the structured part
	StructuredType  string  // "101", "102", … when the communication is structured
	OGM             ogm.OGM // for types 101 and 102 when the twelve digits are a valid OGM
	EndToEndID      string  // record 2.2 positions 64–98 (the "customer reference")
	RType           string  // R-transaction: 1 reject, 2 return, 3 refund, 4 reversal, 5 cancellation
	ReturnReason    string  // ISO reason code (AC01, AC04, MD07…)
	CategoryPurpose string
	Purpose         string
	Counterparty    Party
	Information     string // records 3.x, joined
}

// IsDetail reports whether the movement details a globalised one (its amount is already in the global movement).
func (m *Movement) IsDetail() bool { return m.Detail != 0 }

// Signed returns the amount as it moves the balance.
func (m *Movement) Signed() int64 {
	if m.Debit {
		return -m.AmountCents
	}
	return m.AmountCents
}

// Running adds up the movements that count in the balances (detail number 0000).
type Running struct {
	Movements int
	Cents     int64
}

// Add counts m unless it is a detail of a globalisation.
func (r *Running) Add(m *Movement) {
	if !m.IsDetail() {
		r.Movements++
		r.Cents += m.Signed()
	}
}

// CheckContinuity verifies that the old balance plus the movements gives the new balance.
func CheckContinuity(s *Statement, r Running) error {
	if s.Old.AmountCents+r.Cents != s.New.AmountCents {
		return fmt.Errorf("%w: statement %03d opens at %s, its %d movements add %s, but it closes at %s",
			ErrContinuity, s.Sequence, euros(s.Old.AmountCents), r.Movements, euros(r.Cents), euros(s.New.AmountCents))
	}
	return nil
}

// CheckSequence verifies that next follows prev on the same account: the CODA sequence number goes up by one
// (or starts again at 1 in a new year) and next's old balance is prev's new balance.
func CheckSequence(prev, next *Statement) error {
	if prev.AccountNumber != next.AccountNumber {
		return fmt.Errorf("%w: statements of different accounts", ErrSequence)
	}
	newYear := next.Sequence == 1 && next.Old.Date.Year() > prev.Old.Date.Year()
	if next.Sequence != prev.Sequence+1 && !newYear {
		return fmt.Errorf("%w: sequence %03d after %03d", ErrSequence, next.Sequence, prev.Sequence)
	}
	if next.Old.AmountCents != prev.New.AmountCents {
		return fmt.Errorf("%w: opens at %s after a close at %s", ErrSequence, euros(next.Old.AmountCents), euros(prev.New.AmountCents))
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

// latin1 returns the line as Latin-1 bytes, one per character: a file in Latin-1 (the usual) is taken as it is; a
// file in UTF-8 has its characters of the Latin-1 range turned back into single bytes, so positions count
// characters either way.
func latin1(line []byte) []byte {
	ascii := true
	for _, c := range line {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii || !utf8.Valid(line) {
		return line
	}
	out := make([]byte, 0, len(line))
	for _, r := range string(line) {
		if r > 0xff {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// text returns the Latin-1 field as trimmed UTF-8 with runs of spaces collapsed.
func text(b []byte) string {
	var s strings.Builder
	space := false
	for _, c := range b {
		if c == ' ' {
			space = s.Len() > 0
			continue
		}
		if space {
			s.WriteByte(' ')
			space = false
		}
		if c < utf8.RuneSelf {
			s.WriteByte(c)
		} else {
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}

func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// date reads DDMMYY (years 2000–2099); 000000 is the zero date when zeroOK.
func date(b []byte, zeroOK bool) (civil.Date, bool) {
	n, ok := digits(b)
	if !ok || len(b) != 6 {
		return civil.Date{}, false
	}
	if n == 0 {
		return civil.Date{}, zeroOK
	}
	d, err := civil.New(2000+int(n%100), time.Month(n/100%100), int(n/10000))
	return d, err == nil
}

// amount reads 15 digits with three implied decimals into cents; the third decimal must be 0.
func amount(b []byte) (int64, bool) {
	n, ok := digits(b)
	if !ok || len(b) != 15 || n%10 != 0 {
		return 0, false
	}
	return n / 10, true
}
