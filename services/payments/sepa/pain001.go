// Package sepa writes the SEPA credit transfer initiation that the CPAS hands to its bank: the ISO 20022
// pain.001.001.09 message (and the older pain.001.001.03 that some banks still ask for), under the EPC SEPA
// Credit Transfer rules and the Belgian banks' guidelines (domain.md §7). The Writer streams: it writes each
// transaction to the io.Writer as it is added and keeps nothing per payment, so a run of 100,000 payments needs
// the memory of one. Because the group header and each payment information block carry their number of
// transactions and control sum before the transactions, the caller declares them up front (the service knows its
// run's totals) and the Writer checks at the end of each block that what was written adds up, failing otherwise so
// that a file with wrong totals is never handed out. Texts are transliterated into the SEPA character set and cut
// to the scheme's lengths; identifiers are checked, never altered.
package sepa

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
)

// Version is the pain.001 message version a file is written in.
type Version int

const (
	// Pain00100109 is pain.001.001.09, the version of the 2019 SEPA rulebooks and the default.
	Pain00100109 Version = iota + 1
	// Pain00100103 is pain.001.001.03, the 2009 version some banks and tenants still use.
	Pain00100103
)

// String returns the message name, e.g. "pain.001.001.09".
func (v Version) String() string {
	switch v {
	case Pain00100109:
		return "pain.001.001.09"
	case Pain00100103:
		return "pain.001.001.03"
	}
	return "pain.001.unknown"
}

// Namespace returns the XML namespace of the version's Document.
func (v Version) Namespace() string { return "urn:iso:std:iso:20022:tech:xsd:" + v.String() }

// Lengths of the SEPA scheme (EPC implementation guidelines), in characters of the SEPA set.
const (
	MaxIDLength           = 35  // MsgId, PmtInfId, EndToEndId
	MaxNameLength         = 70  // party names
	MaxUnstructuredLength = 140 // unstructured remittance
	MaxAmountCents        = 99_999_999_999
)

// Errors the Writer returns; they wrap details with %w.
var (
	ErrInvalidID     = errors.New("sepa: invalid identifier")
	ErrInvalidAmount = errors.New("sepa: invalid amount")
	ErrMissing       = errors.New("sepa: missing field")
	ErrTotals        = errors.New("sepa: declared totals do not match the transactions written")
	ErrState         = errors.New("sepa: writer used out of order")
	ErrDuplicate     = errors.New("sepa: duplicate identifier")
)

// GroupHeader is what the file says about itself.
type GroupHeader struct {
	MsgID     string    // unique per file, ≤ 35 characters of the SEPA set
	CreatedAt time.Time // written in Brussels time, to the second
	// NumberOfTransactions and ControlSumCents are the totals of the whole file, declared up front and checked.
	NumberOfTransactions int
	ControlSumCents      int64
	InitiatingPartyName  string // the CPAS, ≤ 70
	// InitiatingPartyID is the CPAS's enterprise number (KBO-BCE, ten digits), which Belgian banks use to find the
	// contract; optional.
	InitiatingPartyID string
}

// PaymentInfo is one block of transfers sharing a debtor account and an execution date.
type PaymentInfo struct {
	ID            string // PmtInfId, unique in the file, ≤ 35; the key of batch-booking reconciliation
	BatchBooking  bool   // one debit line on the statement for the whole block
	ExecutionDate civil.Date
	DebtorName    string
	DebtorIBAN    iban.IBAN
	DebtorBIC     string // optional: without it the agent is NOTPROVIDED, as the IBAN-only rule allows
	// NumberOfTransactions and ControlSumCents are the block's totals, declared up front and checked.
	NumberOfTransactions int
	ControlSumCents      int64
}

// Transaction is one credit transfer.
type Transaction struct {
	EndToEndID   string // unique per payment and never reused, ≤ 35; comes back on the statement
	AmountCents  int64  // euros in cents, > 0
	CreditorName string // transliterated and cut to 70
	CreditorIBAN iban.IBAN
	CreditorBIC  string // optional
	// Remittance: either a structured communication (written as a SCOR reference issued by BBA, the Belgian
	// scheme) or unstructured text (the decision reference), cut to 140. Structured wins when both are set.
	StructuredOGM ogm.OGM
	Unstructured  string
}

type state int

const (
	stateHeader state = iota // group header written, no block open
	stateBlock               // a payment information block is open
	stateClosed
)

// Writer streams one pain.001 document. Use NewWriter, then for each block StartPaymentInfo and Add its
// transactions, then Close. The first error sticks: every later call returns it.
type Writer struct {
	w       *bufio.Writer
	version Version
	header  GroupHeader
	state   state
	err     error

	buf      []byte // scratch for one element at a time
	blockIDs map[string]bool
	block    PaymentInfo
	blockN   int
	blockSum int64
	totalN   int
	totalSum int64
}

// NewWriter checks the header and writes the start of the document and the group header to w.
func NewWriter(w io.Writer, version Version, h GroupHeader) (*Writer, error) {
	if version != Pain00100109 && version != Pain00100103 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrState, version)
	}
	if err := checkID("MsgId", h.MsgID); err != nil {
		return nil, err
	}
	if h.CreatedAt.IsZero() {
		return nil, fmt.Errorf("%w: CreDtTm", ErrMissing)
	}
	if h.NumberOfTransactions < 1 {
		return nil, fmt.Errorf("%w: NbOfTxs must be at least 1", ErrTotals)
	}
	if h.ControlSumCents <= 0 {
		return nil, fmt.Errorf("%w: CtrlSum must be positive", ErrTotals)
	}
	name := Text(h.InitiatingPartyName, MaxNameLength)
	if name == "" {
		return nil, fmt.Errorf("%w: InitgPty/Nm", ErrMissing)
	}
	if h.InitiatingPartyID != "" {
		if err := checkID("InitgPty/Id", h.InitiatingPartyID); err != nil {
			return nil, err
		}
	}
	x := &Writer{w: bufio.NewWriterSize(w, 64<<10), version: version, header: h, blockIDs: map[string]bool{}, buf: make([]byte, 0, 1024)}
	b := x.buf[:0]
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Document xmlns="`...)
	b = append(b, version.Namespace()...)
	b = append(b, `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+"\n<CstmrCdtTrfInitn>\n<GrpHdr>\n"...)
	b = elem(b, "MsgId", h.MsgID)
	b = elem(b, "CreDtTm", h.CreatedAt.In(civil.Brussels).Format("2006-01-02T15:04:05"))
	b = append(b, "<NbOfTxs>"...)
	b = strconv.AppendInt(b, int64(h.NumberOfTransactions), 10)
	b = append(b, "</NbOfTxs>\n<CtrlSum>"...)
	b = appendAmount(b, h.ControlSumCents)
	b = append(b, "</CtrlSum>\n<InitgPty>\n"...)
	b = elem(b, "Nm", name)
	if h.InitiatingPartyID != "" {
		b = append(b, "<Id><OrgId><Othr>"...)
		b = elem(b, "Id", h.InitiatingPartyID)
		b = append(b, "<Issr>KBO-BCE</Issr></Othr></OrgId></Id>\n"...)
	}
	b = append(b, "</InitgPty>\n</GrpHdr>\n"...)
	x.flush(b)
	return x, x.err
}

// StartPaymentInfo closes the open block, if any, and opens a new one.
func (x *Writer) StartPaymentInfo(p PaymentInfo) error {
	if x.err != nil {
		return x.err
	}
	if x.state == stateClosed {
		return x.fail(fmt.Errorf("%w: StartPaymentInfo after Close", ErrState))
	}
	if x.state == stateBlock {
		if err := x.endBlock(); err != nil {
			return err
		}
	}
	if err := checkID("PmtInfId", p.ID); err != nil {
		return x.fail(err)
	}
	if x.blockIDs[p.ID] {
		return x.fail(fmt.Errorf("%w: PmtInfId %s", ErrDuplicate, p.ID))
	}
	if p.ExecutionDate.IsZero() {
		return x.fail(fmt.Errorf("%w: ReqdExctnDt of %s", ErrMissing, p.ID))
	}
	if p.DebtorIBAN.IsZero() {
		return x.fail(fmt.Errorf("%w: DbtrAcct of %s", ErrMissing, p.ID))
	}
	name := Text(p.DebtorName, MaxNameLength)
	if name == "" {
		return x.fail(fmt.Errorf("%w: Dbtr/Nm of %s", ErrMissing, p.ID))
	}
	if p.NumberOfTransactions < 1 || p.ControlSumCents <= 0 {
		return x.fail(fmt.Errorf("%w: block %s declares no transactions", ErrTotals, p.ID))
	}
	if p.DebtorBIC != "" && !validBIC(p.DebtorBIC) {
		return x.fail(fmt.Errorf("%w: DbtrAgt BIC of %s", ErrInvalidID, p.ID))
	}
	x.blockIDs[p.ID] = true
	x.block, x.blockN, x.blockSum, x.state = p, 0, 0, stateBlock

	b := x.buf[:0]
	b = append(b, "<PmtInf>\n"...)
	b = elem(b, "PmtInfId", p.ID)
	b = append(b, "<PmtMtd>TRF</PmtMtd>\n<BtchBookg>"...)
	b = strconv.AppendBool(b, p.BatchBooking)
	b = append(b, "</BtchBookg>\n<NbOfTxs>"...)
	b = strconv.AppendInt(b, int64(p.NumberOfTransactions), 10)
	b = append(b, "</NbOfTxs>\n<CtrlSum>"...)
	b = appendAmount(b, p.ControlSumCents)
	b = append(b, "</CtrlSum>\n<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>\n"...)
	if x.version == Pain00100109 {
		b = append(b, "<ReqdExctnDt><Dt>"...)
		b = append(b, p.ExecutionDate.String()...)
		b = append(b, "</Dt></ReqdExctnDt>\n"...)
	} else {
		b = elem(b, "ReqdExctnDt", p.ExecutionDate.String())
	}
	b = append(b, "<Dbtr>"...)
	b = elem(b, "Nm", name)
	b = append(b, "</Dbtr>\n<DbtrAcct><Id>"...)
	b = elem(b, "IBAN", p.DebtorIBAN.String())
	b = append(b, "</Id></DbtrAcct>\n<DbtrAgt><FinInstnId>"...)
	if p.DebtorBIC != "" {
		b = x.appendBIC(b, p.DebtorBIC)
	} else {
		b = append(b, "<Othr><Id>NOTPROVIDED</Id></Othr>"...)
	}
	b = append(b, "</FinInstnId></DbtrAgt>\n<ChrgBr>SLEV</ChrgBr>\n"...)
	x.flush(b)
	return x.err
}

// Add writes one transaction into the open block.
func (x *Writer) Add(t Transaction) error {
	if x.err != nil {
		return x.err
	}
	if x.state != stateBlock {
		return x.fail(fmt.Errorf("%w: Add outside a payment information block", ErrState))
	}
	if err := checkID("EndToEndId", t.EndToEndID); err != nil {
		return x.fail(err)
	}
	if t.AmountCents <= 0 || t.AmountCents > MaxAmountCents {
		return x.fail(fmt.Errorf("%w: EndToEndId %s", ErrInvalidAmount, t.EndToEndID))
	}
	if t.CreditorIBAN.IsZero() {
		return x.fail(fmt.Errorf("%w: CdtrAcct of EndToEndId %s", ErrMissing, t.EndToEndID))
	}
	if t.CreditorBIC != "" && !validBIC(t.CreditorBIC) {
		return x.fail(fmt.Errorf("%w: CdtrAgt BIC of EndToEndId %s", ErrInvalidID, t.EndToEndID))
	}
	name := Text(t.CreditorName, MaxNameLength)
	if name == "" {
		return x.fail(fmt.Errorf("%w: Cdtr/Nm of EndToEndId %s", ErrMissing, t.EndToEndID))
	}
	x.blockN++
	x.blockSum += t.AmountCents

	b := x.buf[:0]
	b = append(b, "<CdtTrfTxInf>\n<PmtId>"...)
	b = elem(b, "EndToEndId", t.EndToEndID)
	b = append(b, "</PmtId>\n<Amt><InstdAmt Ccy=\"EUR\">"...)
	b = appendAmount(b, t.AmountCents)
	b = append(b, "</InstdAmt></Amt>\n"...)
	if t.CreditorBIC != "" {
		b = append(b, "<CdtrAgt><FinInstnId>"...)
		b = x.appendBIC(b, t.CreditorBIC)
		b = append(b, "</FinInstnId></CdtrAgt>\n"...)
	}
	b = append(b, "<Cdtr>"...)
	b = elem(b, "Nm", name)
	b = append(b, "</Cdtr>\n<CdtrAcct><Id>"...)
	b = elem(b, "IBAN", t.CreditorIBAN.String())
	b = append(b, "</Id></CdtrAcct>\n"...)
	switch {
	case !t.StructuredOGM.IsZero():
		b = append(b, "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"...)
		b = elem(b, "Ref", t.StructuredOGM.String())
		b = append(b, "</CdtrRefInf></Strd></RmtInf>\n"...)
	case t.Unstructured != "":
		if u := Text(t.Unstructured, MaxUnstructuredLength); u != "" {
			b = append(b, "<RmtInf>"...)
			b = elem(b, "Ustrd", u)
			b = append(b, "</RmtInf>\n"...)
		}
	}
	b = append(b, "</CdtTrfTxInf>\n"...)
	x.flush(b)
	return x.err
}

// Close ends the open block and the document, checks every declared total and flushes. A Writer whose totals do
// not add up returns ErrTotals: the caller must discard what was written.
func (x *Writer) Close() error {
	if x.err != nil {
		return x.err
	}
	if x.state != stateBlock {
		return x.fail(fmt.Errorf("%w: Close without a payment information block", ErrState))
	}
	if err := x.endBlock(); err != nil {
		return err
	}
	if x.totalN != x.header.NumberOfTransactions || x.totalSum != x.header.ControlSumCents {
		return x.fail(fmt.Errorf("%w: group header declares %d transactions for %d cents, wrote %d for %d",
			ErrTotals, x.header.NumberOfTransactions, x.header.ControlSumCents, x.totalN, x.totalSum))
	}
	x.flush(append(x.buf[:0], "</CstmrCdtTrfInitn>\n</Document>\n"...))
	if x.err == nil {
		if err := x.w.Flush(); err != nil {
			x.err = err
		}
	}
	x.state = stateClosed
	return x.err
}

func (x *Writer) endBlock() error {
	p := x.block
	if x.blockN != p.NumberOfTransactions || x.blockSum != p.ControlSumCents {
		return x.fail(fmt.Errorf("%w: block %s declares %d transactions for %d cents, wrote %d for %d",
			ErrTotals, p.ID, p.NumberOfTransactions, p.ControlSumCents, x.blockN, x.blockSum))
	}
	x.totalN += x.blockN
	x.totalSum += x.blockSum
	x.state = stateHeader
	x.flush(append(x.buf[:0], "</PmtInf>\n"...))
	return x.err
}

func (x *Writer) fail(err error) error {
	if x.err == nil {
		x.err = err
	}
	return x.err
}

func (x *Writer) flush(b []byte) {
	x.buf = b[:0]
	if x.err != nil {
		return
	}
	if _, err := x.w.Write(b); err != nil {
		x.err = err
	}
}

func (x *Writer) appendBIC(b []byte, bic string) []byte {
	if x.version == Pain00100109 {
		return elem(b, "BICFI", bic)
	}
	return elem(b, "BIC", bic)
}

// elem appends <name>text</name> and a newline; text is already in the SEPA set (no XML escaping needed, the set
// has no markup characters).
func elem(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = append(b, text...)
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}

// appendAmount writes cents as euros with two decimals: 123456 → 1234.56.
func appendAmount(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	c := cents % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// checkID enforces the EPC rule for identifiers: 1 to 35 characters of the SEPA set, no space, not starting or
// ending with a slash, no double slash.
func checkID(field, id string) error {
	if id == "" || len(id) > MaxIDLength {
		return fmt.Errorf("%w: %s must be 1 to %d characters", ErrInvalidID, field, MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if !allowed(id[i]) || id[i] == ' ' {
			return fmt.Errorf("%w: %s has a character outside the SEPA set", ErrInvalidID, field)
		}
		if id[i] == '/' && (i == 0 || i == len(id)-1 || id[i-1] == '/') {
			return fmt.Errorf("%w: %s has a misplaced slash", ErrInvalidID, field)
		}
	}
	return nil
}

// validBIC reports whether s has the form of a BIC: 4 letters (bank), 2 letters (country), 2 letters or digits
// (location), optionally 3 letters or digits (branch).
func validBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if i < 6 && !letter {
			return false
		}
		if i >= 6 && !letter && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
