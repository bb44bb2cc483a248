"""Enterprises' workforce: declared headcount and employee rosters per year, enterprise
training confirmed by the employer, and the annual participation in training they give."""
