package coda

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
)

// Parser reads a CODA file, which may hold several statements (one per account and day), one after the other.
// Call NextStatement, then NextMovement until io.EOF (the statement then has its new balance and trailer), and
// NextStatement again until it returns io.EOF.
type Parser struct {
	sc   *bufio.Scanner
	line int
	rec  []byte // current record (Latin-1, 128 bytes), nil when it has been consumed
	err  error

	stmt    *Statement
	inStmt  bool
	seq     int // last continuous sequence number
	detail  int
	records int
	debit   int64
	credit  int64
	first   bool // no record 0 seen yet
}

// NewParser reads from r.
func NewParser(r io.Reader) *Parser {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	return &Parser{sc: sc, first: true}
}

func (p *Parser) fail(record, field string, err error) error {
	if p.err == nil {
		p.err = &Error{Line: p.line, Record: record, Field: field, Err: err}
	}
	return p.err
}

// peek returns the next record without consuming it, or nil at the end of the file.
func (p *Parser) peek() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.rec != nil {
		return p.rec, nil
	}
	for p.sc.Scan() {
		p.line++
		b := bytes.TrimRight(p.sc.Bytes(), "\r")
		if len(b) == 0 {
			continue // blank lines (a trailing newline, or one at the end of the file) carry nothing
		}
		b = latin1(b)
		if len(b) != RecordLength {
			return nil, p.fail("", "", fmt.Errorf("%w: %d characters", ErrLength, len(b)))
		}
		p.rec = append(p.rec[:0:0], b...)
		return p.rec, nil
	}
	if err := p.sc.Err(); err != nil {
		p.line++
		return nil, p.fail("", "", fmt.Errorf("%w: %v", ErrLength, err))
	}
	return nil, nil
}

func (p *Parser) take() { p.rec = nil }

// NextStatement skips what is left of the current statement and returns the next one's header (records 0 and 1),
// or io.EOF at the end of the file.
func (p *Parser) NextStatement() (*Statement, error) {
	for p.inStmt {
		if _, err := p.NextMovement(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	r, err := p.peek()
	if err != nil {
		return nil, err
	}
	if r == nil {
		if p.first {
			p.line++
			return nil, p.fail("", "", fmt.Errorf("%w: empty file", ErrFormat))
		}
		return nil, io.EOF
	}
	if r[0] != '0' {
		return nil, p.fail(string(r[0]), "", fmt.Errorf("%w: a statement starts with a header record 0", ErrOrder))
	}
	p.first = false
	s := &Statement{Line: p.line}
	if err := p.header(r, s); err != nil {
		return nil, err
	}
	p.take()
	r, err = p.peek()
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, p.fail("0", "", ErrTruncated)
	}
	if r[0] != '1' {
		return nil, p.fail(recordName(r), "", fmt.Errorf("%w: the header is followed by the old balance, record 1", ErrOrder))
	}
	if err := p.oldBalance(r, s); err != nil {
		return nil, err
	}
	p.take()
	p.stmt, p.inStmt = s, true
	p.seq, p.detail, p.records, p.debit, p.credit = 0, 0, 1, 0, 0
	return s, nil
}

func recordName(r []byte) string {
	switch r[0] {
	case '2', '3':
		return string(r[0]) + "." + string(r[1])
	}
	return string(r[0])
}

func (p *Parser) header(r []byte, s *Statement) error {
	if string(r[1:5]) != "0000" {
		return p.fail("0", "zeros", fmt.Errorf("%w: positions 2–5 must be 0000", ErrFormat))
	}
	if string(r[14:16]) != "05" {
		return p.fail("0", "application code", fmt.Errorf("%w: %q, CODA is 05", ErrFormat, r[14:16]))
	}
	if r[127] != '2' {
		return p.fail("0", "version code", fmt.Errorf("%w: version %q, this reader knows CODA 2", ErrFormat, r[127]))
	}
	d, ok := date(r[5:11], false)
	if !ok {
		return p.fail("0", "creation date", ErrInvalid)
	}
	s.CreationDate = d
	s.BankID = string(r[11:14])
	s.Duplicate = r[16] == 'D'
	s.FileReference = text(r[24:34])
	s.Addressee = text(r[34:60])
	s.BIC = text(r[60:71])
	s.CompanyID = text(r[71:82])
	s.Version = 2
	return nil
}

// account reads the 37 characters of an account and currency zone (records 1 and 8) under structure st.
func account(st byte, z []byte) (number, currency string) {
	switch st {
	case '0': // 12 N number, blank, 3 currency, …
		return text(z[0:12]), text(z[13:16])
	case '2': // 31 IBAN, 3 extension, 3 currency
		return compact(z[0:31]), text(z[34:37])
	default: // '1' and '3': 34 number, 3 currency
		return compact(z[0:34]), text(z[34:37])
	}
}

func compact(b []byte) string { return strings.ReplaceAll(text(b), " ", "") }

func (p *Parser) oldBalance(r []byte, s *Statement) error {
	if r[1] < '0' || r[1] > '3' {
		return p.fail("1", "account structure", fmt.Errorf("%w: %q", ErrInvalid, r[1]))
	}
	s.AccountStructure = int(r[1] - '0')
	s.AccountNumber, s.Currency = account(r[1], r[5:42])
	if r[1] == '2' || r[1] == '3' {
		a, err := iban.Parse(s.AccountNumber)
		if err != nil || (r[1] == '2') != a.IsBelgian() {
			return p.fail("1", "account IBAN", ErrInvalid)
		}
		s.Account = a
	}
	n, ok := digits(r[2:5])
	if !ok {
		return p.fail("1", "paper statement number", ErrInvalid)
	}
	s.PaperSequence = int(n)
	if n, ok = digits(r[125:128]); !ok {
		return p.fail("1", "CODA sequence number", ErrInvalid)
	}
	s.Sequence = int(n)
	b, err := p.balance("1", r[42], r[43:58], r[58:64])
	if err != nil {
		return err
	}
	s.Old = b
	s.HolderName = text(r[64:90])
	s.Description = text(r[90:125])
	return nil
}

func (p *Parser) balance(record string, sign byte, amt, dt []byte) (Balance, error) {
	c, ok := amount(amt)
	if !ok {
		return Balance{}, p.fail(record, "balance", ErrInvalid)
	}
	switch sign {
	case '0':
	case '1':
		c = -c
	default:
		return Balance{}, p.fail(record, "balance sign", ErrInvalid)
	}
	d, ok := date(dt, false)
	if !ok {
		return Balance{}, p.fail(record, "balance date", ErrInvalid)
	}
	return Balance{AmountCents: c, Date: d}, nil
}

// NextMovement returns the next movement of the current statement, or io.EOF after its new balance, free
// communications and trailer (which it checks).
func (p *Parser) NextMovement() (*Movement, error) {
	if !p.inStmt {
		if p.err != nil {
			return nil, p.err
		}
		return nil, io.EOF
	}
	r, err := p.peek()
	if err != nil {
		return nil, err
	}
	if r == nil {
		p.line++
		return nil, p.fail("", "", ErrTruncated)
	}
	switch {
	case r[0] == '2' && r[1] == '1':
		return p.movement(r)
	case r[0] == '8':
		if err := p.end(r); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return nil, p.fail(recordName(r), "", fmt.Errorf("%w: expected a movement (2.1) or the new balance (8)", ErrOrder))
}

func (p *Parser) movement(r []byte) (*Movement, error) {
	m := &Movement{Line: p.line}
	seq, ok1 := digits(r[2:6])
	det, ok2 := digits(r[6:10])
	if !ok1 || !ok2 {
		return nil, p.fail("2.1", "sequence number", ErrInvalid)
	}
	m.Sequence, m.Detail = int(seq), int(det)
	// A new movement takes the next sequence number (9999 is followed by 0000) with detail 0000, or stays on the
	// sequence with the next detail number.
	switch {
	case m.Detail == 0 && (m.Sequence == p.seq+1 || (p.seq == 9999 && m.Sequence == 0)):
	case m.Detail != 0 && m.Sequence == p.seq && (m.Detail == p.detail+1 || (p.detail == 9999 && m.Detail == 0)):
	default:
		return nil, p.fail("2.1", "sequence number", fmt.Errorf("%w: %04d/%04d after %04d/%04d", ErrOrder, m.Sequence, m.Detail, p.seq, p.detail))
	}
	p.seq, p.detail = m.Sequence, m.Detail
	m.BankReference = text(r[10:31])
	c, ok := amount(r[32:47])
	if !ok {
		return nil, p.fail("2.1", "amount", ErrInvalid)
	}
	m.AmountCents = c
	switch r[31] {
	case '0':
	case '1':
		m.Debit = true
	default:
		return nil, p.fail("2.1", "movement sign", ErrInvalid)
	}
	if m.ValueDate, ok = date(r[47:53], true); !ok {
		return nil, p.fail("2.1", "value date", ErrInvalid)
	}
	if _, ok := digits(r[53:61]); !ok {
		return nil, p.fail("2.1", "transaction code", ErrInvalid)
	}
	m.TransactionCode = string(r[53:61])
	if m.EntryDate, ok = date(r[115:121], false); !ok {
		return nil, p.fail("2.1", "entry date", ErrInvalid)
	}
	if r[124] < '0' || r[124] > '9' {
		return nil, p.fail("2.1", "globalisation code", ErrInvalid)
	}
	m.Globalisation = int(r[124] - '0')
	structured := false
	switch r[61] {
	case '0':
	case '1':
		structured = true
	default:
		return nil, p.fail("2.1", "communication type", ErrInvalid)
	}
	comm := append([]byte(nil), r[62:115]...)
	next, link := r[125], r[127]
	p.count(m)
	p.take()

	// 2.2 and 2.3, when the next code says so.
	for want := byte('2'); next == '1'; want++ {
		r, err := p.peek()
		if err != nil {
			return nil, err
		}
		if r == nil {
			p.line++
			return nil, p.fail("", "", ErrTruncated)
		}
		if r[0] != '2' || r[1] < want || r[1] > '3' {
			return nil, p.fail(recordName(r), "", fmt.Errorf("%w: record 2.1 announces a 2.2 or 2.3", ErrOrder))
		}
		if err := p.sameMovement(r, m); err != nil {
			return nil, err
		}
		want = r[1]
		if r[1] == '2' {
			comm = append(comm, r[10:63]...)
			m.EndToEndID = text(r[63:98])
			m.Counterparty.BIC = text(r[98:109])
			m.RType = text(r[112:113])
			m.ReturnReason = text(r[113:117])
			m.CategoryPurpose = text(r[117:121])
			m.Purpose = text(r[121:125])
		} else {
			m.Counterparty.Account = compact(r[10:44])
			m.Counterparty.Currency = text(r[44:47])
			m.Counterparty.Name = text(r[47:82])
			comm = append(comm, r[82:125]...)
			if r[125] == '1' {
				return nil, p.fail("2.3", "next code", fmt.Errorf("%w: nothing of type 2 follows a 2.3", ErrOrder))
			}
		}
		next, link = r[125], r[127]
		p.records++
		p.take()
	}
	p.communication(m, comm, structured)

	// Information records 3.1 (3.2, 3.3) when the link code says so; several 3.1 may follow one another.
	var info []string
	for link == '1' {
		r, err := p.peek()
		if err != nil {
			return nil, err
		}
		if r == nil {
			p.line++
			return nil, p.fail("", "", ErrTruncated)
		}
		if r[0] != '3' || r[1] != '1' {
			return nil, p.fail(recordName(r), "", fmt.Errorf("%w: the link code announces an information record 3.1", ErrOrder))
		}
		if err := p.sameMovement(r, m); err != nil {
			return nil, err
		}
		part := []byte(nil)
		if r[39] == '1' {
			part = append(part, r[43:113]...) // structured: 3-digit type, then the text
		} else {
			part = append(part, r[40:113]...)
		}
		next, link = r[125], r[127]
		p.records++
		p.take()
		for want := byte('2'); next == '1'; want++ {
			r, err := p.peek()
			if err != nil {
				return nil, err
			}
			if r == nil {
				p.line++
				return nil, p.fail("", "", ErrTruncated)
			}
			if r[0] != '3' || r[1] != want {
				return nil, p.fail(recordName(r), "", fmt.Errorf("%w: expected information record 3.%c", ErrOrder, want))
			}
			if err := p.sameMovement(r, m); err != nil {
				return nil, err
			}
			if want == '2' {
				part = append(part, r[10:115]...)
			} else {
				part = append(part, r[10:100]...)
			}
			next, link = r[125], r[127]
			if want == '3' && next == '1' {
				return nil, p.fail("3.3", "next code", fmt.Errorf("%w: nothing of type 3 follows a 3.3", ErrOrder))
			}
			p.records++
			p.take()
		}
		if t := text(part); t != "" {
			info = append(info, t)
		}
	}
	m.Information = strings.Join(info, " ")
	return m, nil
}

func (p *Parser) sameMovement(r []byte, m *Movement) error {
	seq, ok1 := digits(r[2:6])
	det, ok2 := digits(r[6:10])
	if !ok1 || !ok2 || int(seq) != m.Sequence || int(det) != m.Detail {
		return p.fail(recordName(r), "sequence number", fmt.Errorf("%w: %s does not belong to movement %04d/%04d", ErrOrder, r[2:10], m.Sequence, m.Detail))
	}
	return nil
}

func (p *Parser) count(m *Movement) {
	p.records++
	if m.Detail == 0 {
		if m.Debit {
			p.debit += m.AmountCents
		} else {
			p.credit += m.AmountCents
		}
	}
}

// communication splits the joined communication zones: structured ones start with their three-digit type.
func (p *Parser) communication(m *Movement, comm []byte, structured bool) {
	if !structured {
		m.Communication = text(comm)
		return
	}
	m.StructuredType = string(comm[0:3])
	rest := comm[3:]
	if (m.StructuredType == "101" || m.StructuredType == "102") && len(rest) >= 12 {
		if o, err := ogm.Parse(string(rest[:12])); err == nil {
			m.OGM = o
			rest = rest[12:]
		}
	}
	m.Communication = text(rest)
}

// end reads record 8, the free communications and the trailer 9, and checks the trailer.
func (p *Parser) end(r []byte) error {
	s := p.stmt
	if n, c := account(byte('0'+s.AccountStructure), r[4:41]); n != s.AccountNumber || c != s.Currency {
		return p.fail("8", "account", fmt.Errorf("%w: not the account of record 1", ErrInvalid))
	}
	b, err := p.balance("8", r[41], r[42:57], r[57:63])
	if err != nil {
		return err
	}
	s.New = b
	p.records++
	p.take()
	var free []string
	for {
		var err error
		r, err = p.peek()
		if err != nil {
			return err
		}
		if r == nil {
			p.line++
			return p.fail("", "", ErrTruncated)
		}
		if r[0] == '9' {
			break
		}
		if r[0] != '4' {
			return p.fail(recordName(r), "", fmt.Errorf("%w: after the new balance come free communications (4) and the trailer (9)", ErrOrder))
		}
		if t := text(r[32:112]); t != "" {
			free = append(free, t)
		}
		p.take()
	}
	s.FreeCommunication = strings.Join(free, " ")

	n, ok := digits(r[16:22])
	if !ok {
		return p.fail("9", "number of records", ErrInvalid)
	}
	d, ok1 := amount(r[22:37])
	c, ok2 := amount(r[37:52])
	if !ok1 || !ok2 {
		return p.fail("9", "totals", ErrInvalid)
	}
	s.Records, s.DebitCents, s.CreditCents = int(n), d, c
	s.MoreFiles = r[127] == '1'
	switch {
	case s.Records != p.records:
		return p.fail("9", "number of records", fmt.Errorf("%w: says %d, the file has %d", ErrTrailer, s.Records, p.records))
	case s.DebitCents != p.debit:
		return p.fail("9", "debit total", fmt.Errorf("%w: says %s, the movements add %s", ErrTrailer, euros(s.DebitCents), euros(p.debit)))
	case s.CreditCents != p.credit:
		return p.fail("9", "credit total", fmt.Errorf("%w: says %s, the movements add %s", ErrTrailer, euros(s.CreditCents), euros(p.credit)))
	}
	p.take()
	p.inStmt = false
	return nil
}
