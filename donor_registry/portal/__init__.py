"""The donor's own record ("My record", issue 15 part 4): a link by message or by a one-time code
sent to the donor's phone, the record page's facts, and the donor's standby availability."""
