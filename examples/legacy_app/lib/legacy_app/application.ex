defmodule LegacyApp.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      # the rates table must exist before the poller writes to it
      LegacyApp.Rates,
      LegacyApp.RatesPoller,
      LegacyApp.Sessions
    ]

    opts =
      if Mix.env() == :test do
        [strategy: :one_for_one, max_restarts: 100, name: LegacyApp.Supervisor]
      else
        [strategy: :one_for_one, name: LegacyApp.Supervisor]
      end

    Supervisor.start_link(children, opts)
  end
end
