defmodule LegacyApp.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      LegacyApp.Sessions
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: LegacyApp.Supervisor)
  end
end
