defmodule Golden.RestForOne.Files.Application do
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      Golden.RestForOne.Files.Cache,
      Golden.RestForOne.Files.Worker
    ]

    Supervisor.start_link(children, strategy: :rest_for_one, name: Golden.RestForOne.Files.Supervisor)
  end
end
