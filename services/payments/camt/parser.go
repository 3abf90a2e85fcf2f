package camt

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
)

// maxDepth bounds the nesting the Parser follows; a camt.053 is about fifteen deep.
const maxDepth = 64

// maxText bounds the text of one element (the longest in the schema is 500 characters).
const maxText = 4096

type event int

const (
	evNone event = iota
	evHeader
	evEntry
	evStatementEnd
	evDocumentEnd
)

// Parser reads a camt.053 document token by token. Call NextStatement, then NextEntry until io.EOF, and again
// NextStatement for the next account statement of the file until it returns io.EOF.
//
//	p := camt.NewParser(f)
//	for {
//		st, err := p.NextStatement()
//		if err == io.EOF { break }
//		…
//		for {
//			e, err := p.NextEntry()
//			if err == io.EOF { break }
//			…
//		}
//	}
type Parser struct {
	d         *xml.Decoder
	ns        string
	version   string
	messageID string
	err       error

	path  []byte // element names from the Document's child, joined by '/'
	lens  []int  // len(path) before each open element
	text  []byte
	ccy   string
	depth int

	stmtBase, ntryBase, txBase int // offsets in path where the relative paths of Stmt, Ntry and TxDtls start (0: not inside)

	stmt        *Statement
	stmtHeader  bool // header handed out for the current statement
	stmtDone    bool
	bal         balanceBuf
	haveOpening bool
	havePRCD    bool
	prcd        Balance
	haveClosing bool

	entry   *Entry
	batch   *Batch
	tx      *Transaction
	done    bool
	pending []event
}

type balanceBuf struct {
	code   string
	cents  int64
	cd     CreditDebit
	amount bool
	b      Balance
}

// NewParser reads from r. The Decoder is strict, knows no entities beyond XML's five and refuses DOCTYPE
// declarations, so nothing in the file can make it fetch or expand anything.
func NewParser(r io.Reader) *Parser {
	d := xml.NewDecoder(r)
	d.Strict = true
	return &Parser{d: d, path: make([]byte, 0, 256), text: make([]byte, 0, 256)}
}

// NextStatement skips what is left of the current statement and returns the header of the next one, or io.EOF
// at the end of the document.
func (p *Parser) NextStatement() (*Statement, error) {
	for {
		ev, err := p.next()
		if err != nil {
			return nil, err
		}
		switch ev {
		case evHeader:
			return p.stmt, nil
		case evDocumentEnd:
			return nil, io.EOF
		}
	}
}

// NextEntry returns the next entry of the current statement, or io.EOF after its last one.
func (p *Parser) NextEntry() (*Entry, error) {
	if p.stmt == nil || p.stmtDone {
		if p.err != nil {
			return nil, p.err
		}
		return nil, io.EOF
	}
	for {
		ev, err := p.next()
		if err != nil {
			return nil, err
		}
		switch ev {
		case evEntry:
			e := p.entry
			p.entry = nil
			return e, nil
		case evStatementEnd:
			return nil, io.EOF
		case evDocumentEnd:
			return nil, io.EOF
		}
	}
}

// fail records the first error, naming the current element and line.
func (p *Parser) fail(err error) error {
	if p.err == nil {
		line, _ := p.d.InputPos()
		var pe *Error
		if errors.As(err, &pe) {
			p.err = err
		} else {
			p.err = &Error{Line: line, Element: string(p.path), Err: err}
		}
	}
	return p.err
}

func (p *Parser) next() (event, error) {
	if p.err != nil {
		return evNone, p.err
	}
	if len(p.pending) > 0 {
		ev := p.pending[0]
		p.pending = p.pending[1:]
		return ev, nil
	}
	if p.done {
		return evDocumentEnd, nil
	}
	for {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				if p.ns == "" {
					return evNone, p.fail(fmt.Errorf("%w: empty file", ErrVersion))
				}
				return evNone, p.fail(ErrTruncated)
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				if strings.Contains(se.Msg, "unexpected EOF") {
					return evNone, p.fail(&Error{Line: se.Line, Element: string(p.path), Err: ErrTruncated})
				}
				if strings.Contains(se.Msg, "entity") {
					return evNone, p.fail(&Error{Line: se.Line, Element: string(p.path), Err: fmt.Errorf("%w: %s", ErrInsecure, se.Msg)})
				}
				return evNone, p.fail(&Error{Line: se.Line, Element: string(p.path), Err: fmt.Errorf("%w: %s", ErrSyntax, se.Msg)})
			}
			return evNone, p.fail(fmt.Errorf("%w: %v", ErrSyntax, err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return evNone, p.fail(fmt.Errorf("%w: <!%s…>", ErrInsecure, firstWord(t)))
		case xml.StartElement:
			ev, err := p.start(t)
			if err != nil || ev != evNone {
				return ev, err
			}
		case xml.EndElement:
			ev, err := p.end()
			if err != nil || ev != evNone {
				return ev, err
			}
		case xml.CharData:
			if p.depth > 0 {
				if len(p.text)+len(t) > maxText {
					return evNone, p.fail(fmt.Errorf("%w: text longer than %d bytes", ErrInvalid, maxText))
				}
				p.text = append(p.text, t...)
			} else if len(strings.TrimSpace(string(t))) > 0 {
				return evNone, p.fail(fmt.Errorf("%w: text outside the document", ErrSyntax))
			}
		}
	}
}

func firstWord(d xml.Directive) string {
	s := string(d)
	if i := strings.IndexAny(s, " \t\r\n"); i > 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}

func (p *Parser) start(t xml.StartElement) (event, error) {
	if p.depth == 0 {
		if p.done {
			return evNone, p.fail(fmt.Errorf("%w: element <%s> after the document", ErrSyntax, t.Name.Local))
		}
		if t.Name.Local != "Document" {
			return evNone, p.fail(fmt.Errorf("%w: root element <%s>", ErrVersion, t.Name.Local))
		}
		switch t.Name.Space {
		case NamespaceV02:
			p.version = "camt.053.001.02"
		case NamespaceV08:
			p.version = "camt.053.001.08"
		default:
			return evNone, p.fail(fmt.Errorf("%w: namespace %q", ErrVersion, t.Name.Space))
		}
		p.ns = t.Name.Space
		p.depth = 1
		return evNone, nil
	}
	p.depth++
	if p.depth > maxDepth {
		return evNone, p.fail(fmt.Errorf("%w: nested deeper than %d", ErrSyntax, maxDepth))
	}
	p.lens = append(p.lens, len(p.path))
	if len(p.path) > 0 {
		p.path = append(p.path, '/')
	}
	local := t.Name.Local
	if t.Name.Space != p.ns {
		// An element of another namespace (supplementary data): followed for nesting, never read.
		local = "?" + local
	}
	p.path = append(p.path, local...)
	p.text = p.text[:0]
	p.ccy = ""
	for _, a := range t.Attr {
		if a.Name.Local == "Ccy" {
			p.ccy = a.Value
		}
	}

	switch {
	case p.depth == 2:
		if local != "BkToCstmrStmt" {
			return evNone, p.fail(fmt.Errorf("%w: <%s> is not a bank-to-customer statement", ErrVersion, local))
		}
	case p.depth == 3 && local == "Stmt":
		line, _ := p.d.InputPos()
		p.stmt = &Statement{Version: p.version, MessageID: p.messageID, Line: line}
		p.stmtHeader, p.stmtDone = false, false
		p.haveOpening, p.haveClosing, p.havePRCD = false, false, false
		p.stmtBase = len(p.path) + 1
	case p.stmtBase > 0 && p.ntryBase == 0 && p.depth == 4 && local == "Ntry":
		line, _ := p.d.InputPos()
		p.entry = &Entry{Line: line}
		p.ntryBase = len(p.path) + 1
		if !p.stmtHeader {
			if err := p.checkHeader(); err != nil {
				return evNone, err
			}
			p.stmtHeader = true
			return evHeader, nil
		}
	case p.ntryBase > 0 && p.txBase == 0:
		switch string(p.path[p.ntryBase:]) {
		case "NtryDtls/TxDtls":
			p.entry.Transactions = append(p.entry.Transactions, Transaction{})
			p.tx = &p.entry.Transactions[len(p.entry.Transactions)-1]
			p.txBase = len(p.path) + 1
		case "NtryDtls/Btch":
			p.entry.Batches = append(p.entry.Batches, Batch{})
			p.batch = &p.entry.Batches[len(p.entry.Batches)-1]
		}
	case p.stmtBase > 0 && p.ntryBase == 0 && string(p.path[p.stmtBase:]) == "Bal":
		p.bal = balanceBuf{}
	}
	return evNone, nil
}

func (p *Parser) end() (event, error) {
	if p.depth == 1 {
		p.depth = 0
		p.done = true
		// Nothing may follow but white space and comments.
		for {
			tok, err := p.d.Token()
			if err == io.EOF {
				return evDocumentEnd, nil
			}
			if err != nil {
				return evNone, p.fail(fmt.Errorf("%w: %v", ErrSyntax, err))
			}
			switch x := tok.(type) {
			case xml.Comment, xml.ProcInst:
			case xml.CharData:
				if strings.TrimSpace(string(x)) != "" {
					return evNone, p.fail(fmt.Errorf("%w: text after the document", ErrSyntax))
				}
			case xml.Directive:
				return evNone, p.fail(fmt.Errorf("%w: <!%s…>", ErrInsecure, firstWord(x)))
			default:
				return evNone, p.fail(fmt.Errorf("%w: content after the document", ErrSyntax))
			}
		}
	}
	ev, err := p.leaf()
	if err != nil {
		return evNone, err
	}
	p.path = p.path[:p.lens[len(p.lens)-1]]
	p.lens = p.lens[:len(p.lens)-1]
	p.depth--
	p.text = p.text[:0]
	return ev, nil
}

// leaf handles the end of the element at p.path with text p.text.
func (p *Parser) leaf() (event, error) {
	text := string(p.text)
	if p.depth == 3 && string(p.path) == "BkToCstmrStmt/Stmt" {
		p.stmtBase = 0
		p.stmtDone = true
		if !p.stmtHeader {
			if err := p.checkHeader(); err != nil {
				return evNone, err
			}
			p.stmtHeader = true
			p.pending = append(p.pending, evStatementEnd)
			return evHeader, nil
		}
		return evStatementEnd, nil
	}
	switch {
	case p.txBase > 0:
		return evNone, p.txLeaf(string(p.path[p.txBase-1:]), text)
	case p.ntryBase > 0:
		if len(p.path) < p.ntryBase {
			// </Ntry>
			p.ntryBase = 0
			if err := p.checkEntry(); err != nil {
				return evNone, err
			}
			return evEntry, nil
		}
		return evNone, p.entryLeaf(string(p.path[p.ntryBase:]), text)
	case p.stmtBase > 0 && len(p.path) >= p.stmtBase:
		return evNone, p.stmtLeaf(string(p.path[p.stmtBase:]), text)
	case string(p.path) == "BkToCstmrStmt/GrpHdr/MsgId":
		p.messageID = strings.TrimSpace(text)
	}
	return evNone, nil
}

func (p *Parser) stmtLeaf(rel, text string) error {
	s := p.stmt
	var err error
	switch rel {
	case "Id":
		s.ID = strings.TrimSpace(text)
	case "ElctrncSeqNb":
		s.ElectronicSequence, err = parseNumber(text)
	case "LglSeqNb":
		s.LegalSequence, err = parseNumber(text)
	case "CreDtTm":
		s.CreatedAt, err = parseDateTime(text)
	case "Acct/Id/IBAN":
		s.Account, err = iban.Parse(text)
		if err != nil {
			err = fmt.Errorf("%w: account IBAN", ErrInvalid)
		}
	case "Acct/Ccy":
		s.Currency = strings.TrimSpace(text)
	case "Bal/Tp/CdOrPrtry/Cd":
		p.bal.code = strings.TrimSpace(text)
	case "Bal/Amt":
		p.bal.cents, err = parseCents(text)
		p.bal.amount = true
		if s.Currency == "" {
			s.Currency = p.ccy
		}
	case "Bal/CdtDbtInd":
		p.bal.cd, err = parseCreditDebit(text)
	case "Bal/Dt/Dt", "Bal/Dt/DtTm":
		p.bal.b.Date, err = parseDate(text)
	case "Bal":
		if p.bal.code != "OPBD" && p.bal.code != "CLBD" && p.bal.code != "PRCD" {
			return nil // interim, available and forward balances are not kept
		}
		if !p.bal.amount || p.bal.cd == "" || p.bal.b.Date.IsZero() {
			return p.fail(fmt.Errorf("%w: balance %s needs Amt, CdtDbtInd and Dt", ErrMissing, p.bal.code))
		}
		p.bal.b.AmountCents = p.bal.cents
		if p.bal.cd == Debit {
			p.bal.b.AmountCents = -p.bal.cents
		}
		switch p.bal.code {
		case "OPBD":
			s.Opening, p.haveOpening = p.bal.b, true
		case "PRCD":
			p.prcd, p.havePRCD = p.bal.b, true
		case "CLBD":
			s.Closing, p.haveClosing = p.bal.b, true
		}
	}
	if err != nil {
		return p.fail(err)
	}
	return nil
}

func (p *Parser) checkHeader() error {
	s := p.stmt
	if !p.haveOpening && p.havePRCD {
		s.Opening, p.haveOpening = p.prcd, true
	}
	switch {
	case s.ID == "":
		return p.fail(&Error{Line: s.Line, Element: "BkToCstmrStmt/Stmt/Id", Err: ErrMissing})
	case s.Account.IsZero():
		return p.fail(&Error{Line: s.Line, Element: "BkToCstmrStmt/Stmt/Acct/Id/IBAN", Err: ErrMissing})
	case !p.haveOpening:
		return p.fail(&Error{Line: s.Line, Element: "BkToCstmrStmt/Stmt/Bal", Err: fmt.Errorf("%w: opening booked balance (OPBD)", ErrMissing)})
	case !p.haveClosing:
		return p.fail(&Error{Line: s.Line, Element: "BkToCstmrStmt/Stmt/Bal", Err: fmt.Errorf("%w: closing booked balance (CLBD)", ErrMissing)})
	}
	return nil
}

func (p *Parser) entryLeaf(rel, text string) error {
	e := p.entry
	var err error
	switch rel {
	case "NtryRef":
		e.Reference = strings.TrimSpace(text)
	case "Amt":
		e.AmountCents, err = parseCents(text)
		e.Currency = p.ccy
	case "CdtDbtInd":
		e.CreditDebit, err = parseCreditDebit(text)
	case "RvslInd":
		switch strings.TrimSpace(text) {
		case "true", "1":
			e.Reversal = true
		case "false", "0":
		default:
			err = fmt.Errorf("%w: reversal indicator %q", ErrInvalid, text)
		}
	case "Sts", "Sts/Cd", "Sts/Prtry":
		// .02 writes the code in Sts, .08 in Sts/Cd; the end of .08's Sts holds only white space.
		if v := strings.TrimSpace(text); v != "" {
			e.Status = v
		}
	case "BookgDt/Dt", "BookgDt/DtTm":
		e.BookingDate, err = parseDate(text)
	case "ValDt/Dt", "ValDt/DtTm":
		e.ValueDate, err = parseDate(text)
	case "AcctSvcrRef":
		e.AccountServicerRef = strings.TrimSpace(text)
	case "BkTxCd/Domn/Cd":
		e.BankTransactionCode = strings.TrimSpace(text)
	case "BkTxCd/Domn/Fmly/Cd", "BkTxCd/Domn/Fmly/SubFmlyCd":
		e.BankTransactionCode += "/" + strings.TrimSpace(text)
	case "BkTxCd/Prtry/Cd":
		if e.BankTransactionCode == "" {
			e.BankTransactionCode = strings.TrimSpace(text)
		}
	case "AddtlNtryInf":
		e.AdditionalInfo = strings.TrimSpace(text)
	case "NtryDtls/Btch/MsgId":
		p.batch.MessageID = strings.TrimSpace(text)
	case "NtryDtls/Btch/PmtInfId":
		p.batch.PmtInfID = strings.TrimSpace(text)
	case "NtryDtls/Btch/NbOfTxs":
		var n int64
		n, err = parseNumber(text)
		p.batch.NumberOfTransactions = int(n)
	case "NtryDtls/Btch/TtlAmt":
		p.batch.TotalCents, err = parseCents(text)
	case "NtryDtls/Btch/CdtDbtInd":
		p.batch.CreditDebit, err = parseCreditDebit(text)
	}
	if err != nil {
		return p.fail(err)
	}
	return nil
}

func (p *Parser) checkEntry() error {
	e := p.entry
	var missing string
	switch {
	case e.CreditDebit == "":
		missing = "CdtDbtInd"
	case e.Status == "":
		missing = "Sts"
	case e.Booked() && e.BookingDate.IsZero():
		missing = "BookgDt"
	}
	if missing != "" {
		return p.fail(&Error{Line: e.Line, Element: "BkToCstmrStmt/Stmt/Ntry", Err: fmt.Errorf("%w: %s", ErrMissing, missing)})
	}
	if e.AmountCents == 0 && e.Currency == "" {
		return p.fail(&Error{Line: e.Line, Element: "BkToCstmrStmt/Stmt/Ntry", Err: fmt.Errorf("%w: Amt", ErrMissing)})
	}
	return nil
}

// txLeaf handles the end of TxDtls (rel empty) and of the elements under it (rel starting with a slash).
func (p *Parser) txLeaf(rel, text string) error {
	if rel == "" {
		// </TxDtls>
		t := p.tx
		if t.StructuredRef != "" && (t.StructuredIssuer == "BBA" || t.StructuredIssuer == "") {
			if o, err := ogm.Parse(t.StructuredRef); err == nil {
				t.OGM = o
			}
		}
		p.tx, p.txBase = nil, 0
		return nil
	}
	rel = rel[1:]
	t := p.tx
	text = strings.TrimSpace(text)
	var err error
	switch rel {
	case "Refs/MsgId":
		t.MessageID = text
	case "Refs/AcctSvcrRef":
		t.AccountServicerRef = text
	case "Refs/PmtInfId":
		t.PmtInfID = text
	case "Refs/InstrId":
		t.InstructionID = text
	case "Refs/EndToEndId":
		t.EndToEndID = text
	case "Refs/TxId":
		t.TransactionID = text
	case "Amt":
		t.AmountCents, err = parseCents(text)
	case "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt":
		// .02 gives the amount only here; TxAmt is the amount booked, InstdAmt the one instructed.
		if t.AmountCents == 0 || strings.HasPrefix(rel, "AmtDtls/TxAmt") {
			t.AmountCents, err = parseCents(text)
		}
	case "CdtDbtInd":
		t.CreditDebit, err = parseCreditDebit(text)
	case "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm":
		t.Debtor.Name = text
	case "RltdPties/DbtrAcct/Id/IBAN":
		t.Debtor.IBAN = compact(text)
	case "RltdPties/Cdtr/Nm", "RltdPties/Cdtr/Pty/Nm":
		t.Creditor.Name = text
	case "RltdPties/CdtrAcct/Id/IBAN":
		t.Creditor.IBAN = compact(text)
	case "RmtInf/Ustrd":
		if t.Unstructured != "" {
			t.Unstructured += " "
		}
		t.Unstructured += text
	case "RmtInf/Strd/CdtrRefInf/Ref":
		t.StructuredRef = text
	case "RmtInf/Strd/CdtrRefInf/Tp/CdOrPrtry/Cd", "RmtInf/Strd/CdtrRefInf/Tp/CdOrPrtry/Prtry":
		t.StructuredRefType = text
	case "RmtInf/Strd/CdtrRefInf/Tp/Issr":
		t.StructuredIssuer = text
	case "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry":
		t.ReturnReason = text
	case "RtrInf/AddtlInf":
		if t.ReturnInfo != "" {
			t.ReturnInfo += " "
		}
		t.ReturnInfo += text
	case "AddtlTxInf":
		t.AdditionalInfo = text
	}
	if err != nil {
		return p.fail(err)
	}
	return nil
}

func compact(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return strings.ToUpper(s)
	}
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}
