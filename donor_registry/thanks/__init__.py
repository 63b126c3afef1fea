"""Closing the loop: a donation's unit used by a hospital (an emergency request) or released to
one (a drive's units), and the donor's thank-you saying where their blood went."""
