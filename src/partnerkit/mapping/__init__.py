"""Partners, partner codes, mapping customers to partners, transfers, tracking and commissions.
Domain rules here are pure; services load, decide and save through the ports."""
