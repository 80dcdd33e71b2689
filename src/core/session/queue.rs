//! The queue sub-machine: customers waiting to be accepted (status 2) and incoming transfers
//! (status 4), bounded, and the agent's answers to them.

use crate::prelude::*;
use super::super::error::SessionError;
use super::super::frames_in::{Customer, CustomerFrame, FrameError, TransferRequest};
use super::super::frames_out::AgentFrame;
use super::super::json::JsonValue;
use super::super::output::UiEvent;
use super::super::scalar::Scalar;
use super::Session;

/// Most waiting customers and pending transfers kept: a hostile or broken server cannot grow
/// them without bound (further offers are rejected frames).
pub const MAX_WAITING: usize = 10_000;

/// Waiting customers and pending transfers, oldest first, each id once.
#[derive(Debug, Default)]
pub(super) struct Queue {
    waiting: Vec<Customer>,
    transfers: Vec<Customer>,
}

impl<V: JsonValue> Session<V> {
    /// Customers waiting to be accepted, oldest first.
    pub fn waiting(&self) -> &[Customer] {
        &self.queue.waiting
    }

    /// Incoming transfers not yet answered, oldest first.
    pub fn pending_transfers(&self) -> &[Customer] {
        &self.queue.transfers
    }

    /// Accepts the waiting customer `id` (sends `respStatus 2`) and removes them from the queue.
    pub fn accept_customer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_waiting(id, true)
    }

    /// Declines the waiting customer `id` (sends `respStatus 3`, so the server offers them to
    /// someone else) and removes them from the queue.
    pub fn decline_customer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_waiting(id, false)
    }

    /// Accepts the incoming transfer of customer `id` (sends `respStatus 4`).
    pub fn accept_transfer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_transfer(id, true)
    }

    /// Refuses the incoming transfer of customer `id` (sends `respStatus 5`).
    pub fn reject_transfer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_transfer(id, false)
    }

    /// Status 2: a customer asks to be accepted (again, perhaps under a new name). A new customer
    /// beyond [`MAX_WAITING`] is refused as a bad frame.
    pub(super) fn on_offer(&mut self, offer: CustomerFrame<V>) -> Result<(), FrameError> {
        let c = &offer.customer;
        let full = self.queue.waiting.len() >= MAX_WAITING;
        let changed = match self.queue.waiting.iter_mut().find(|w| w.id == c.id) {
            Some(existing) if existing.user_name == c.user_name => false,
            Some(existing) => {
                existing.user_name = c.user_name.clone();
                true
            }
            None if full => return Err(FrameError::BadData { status: 2, detail: "waiting queue full".into() }),
            None => {
                self.queue.waiting.push(c.clone());
                true
            }
        };
        let waiting = self.queue.waiting.len();
        self.ui(UiEvent::CustomerWaiting { offer, waiting });
        if changed {
            self.queue_changed();
        }
        Ok(())
    }

    /// Status 4: a colleague offers a conversation; bounded like the waiting queue.
    pub(super) fn on_transfer_request(&mut self, t: TransferRequest<V>) -> Result<(), FrameError> {
        let transfers = &mut self.queue.transfers;
        if !transfers.iter().any(|p| p.id == t.customer.id) {
            if transfers.len() >= MAX_WAITING {
                return Err(FrameError::BadData { status: 4, detail: "pending transfers full".into() });
            }
            transfers.push(t.customer.clone());
        }
        self.ui(UiEvent::TransferRequest(t));
        Ok(())
    }

    /// Status 3 (extension `withdraw`): a waiting customer's offer is gone.
    pub(super) fn on_withdrawn(&mut self, offer: CustomerFrame<V>, reason: String) {
        let before = self.queue.waiting.len();
        self.queue.waiting.retain(|w| w.id != offer.customer.id);
        let changed = self.queue.waiting.len() != before;
        self.ui(UiEvent::OfferWithdrawn { offer, reason });
        if changed {
            self.queue_changed();
        }
    }

    fn answer_waiting(&mut self, id: &Scalar, accept: bool) -> Result<(), SessionError> {
        let waiting = &mut self.queue.waiting;
        let idx = waiting.iter().position(|c| &c.id == id).ok_or_else(|| SessionError::UnknownCustomer(id.key()))?;
        let conn = self.link.open_conn().ok_or(SessionError::NotConnected)?;
        let c = waiting.remove(idx);
        let kf_id = self.cfg.kf_id.clone();
        let frame = if accept {
            AgentFrame::Accept { kf_id, user_id: c.id, user_name: c.user_name }
        } else {
            AgentFrame::Decline { kf_id, user_id: c.id, user_name: c.user_name }
        };
        self.send_frame(conn, frame);
        self.queue_changed();
        Ok(())
    }

    fn answer_transfer(&mut self, id: &Scalar, accept: bool) -> Result<(), SessionError> {
        let transfers = &mut self.queue.transfers;
        let idx = transfers.iter().position(|c| &c.id == id).ok_or_else(|| SessionError::UnknownTransfer(id.key()))?;
        let conn = self.link.open_conn().ok_or(SessionError::NotConnected)?;
        let c = transfers.remove(idx);
        let frame = if accept {
            AgentFrame::AcceptTransfer { user_id: c.id, kf_id: self.cfg.kf_id.clone() }
        } else {
            AgentFrame::RejectTransfer { user_id: c.id }
        };
        self.send_frame(conn, frame);
        Ok(())
    }

    fn queue_changed(&mut self) {
        self.ui(UiEvent::QueueChanged(self.queue.waiting.clone()));
    }
}
