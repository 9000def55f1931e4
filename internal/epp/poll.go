package epp

import (
	"context"
	"strings"
	"time"
)

// PollMessage is the oldest message of the registry's queue for this
// client. It stays queued until acknowledged.
type PollMessage struct {
	ID string
	// Count is the number of messages queued, this one included.
	Count  int
	Queued time.Time
	Text   string
	// Pending is the outcome of an action the registry completed later
	// (domain:panData), such as a pending registration.
	Pending *PendingAction
	// Transfer is a transfer's new state (domain:trnData).
	Transfer *DomainTransfer
	// Domain is the name of the domain the message is about, when its data
	// names one.
	Domain string
}

// PendingAction is a pending action's outcome (RFC 5731 panData).
type PendingAction struct {
	Name string
	// Approved is the paResult: true when the action was carried out.
	Approved       bool
	ClTRID, SvTRID string
	Date           time.Time
}

// Poll returns the oldest queued message, or nil when the queue is empty.
func (c *Client) Poll(ctx context.Context) (*PollMessage, error) {
	resp, err := c.command(ctx, "poll req", commandXML{Poll: &pollXML{Op: "req"}})
	if err != nil {
		return nil, err
	}
	if resp.code() == CodeNoMessages || resp.Queue == nil {
		return nil, nil
	}
	m := &PollMessage{
		ID:     strings.TrimSpace(resp.Queue.ID),
		Count:  resp.Queue.Count,
		Queued: resp.Queue.Date.Time,
		Text:   strings.TrimSpace(resp.Queue.Msg),
	}
	if m.Text == "" {
		m.Text = resp.message()
	}
	readPollData(m, &resp.Data)
	return m, nil
}

// Ack removes a message from the queue. A message that is gone already
// (2303) counts as acknowledged: an Ack may be repeated after a lost answer.
func (c *Client) Ack(ctx context.Context, id string) error {
	_, err := c.command(ctx, "poll ack", commandXML{Poll: &pollXML{Op: "ack", MsgID: id}})
	if CodeOf(err) == CodeObjectDoesNotExist {
		return nil
	}
	return err
}

func readPollData(m *PollMessage, data *resDataXML) {
	switch {
	case data.DomainPending != nil:
		p := data.DomainPending
		m.Pending = &PendingAction{
			Name:     strings.TrimSpace(p.Name.Name),
			Approved: parseBool(p.Name.Result),
			ClTRID:   strings.TrimSpace(p.TrID.ClTRID),
			SvTRID:   strings.TrimSpace(p.TrID.SvTRID),
			Date:     p.Date.Time,
		}
		m.Domain = m.Pending.Name
	case data.DomainTransfer != nil:
		t := data.DomainTransfer.transfer()
		m.Transfer = &t
		m.Domain = t.Name
	case data.DomainInfo != nil:
		m.Domain = strings.TrimSpace(data.DomainInfo.Name)
	case data.DomainCreate != nil:
		m.Domain = strings.TrimSpace(data.DomainCreate.Name)
	case data.DomainRenew != nil:
		m.Domain = strings.TrimSpace(data.DomainRenew.Name)
	default:
		for _, el := range data.Other {
			if el.XMLName.Space == NSDomain && el.Name != "" {
				m.Domain = strings.TrimSpace(el.Name)
				break
			}
		}
	}
}
