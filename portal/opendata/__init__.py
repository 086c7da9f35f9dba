"""Open data: the portfolio published in the IATI and 360Giving standards, without login and without personal data."""
