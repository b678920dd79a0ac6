"""Pure rules of DESIGN §3: no database, no Streamlit, dates as parameters."""
