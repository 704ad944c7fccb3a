defmodule Golden.RestForOne.NoEvidence do
  def start_link do
    children = [
      Golden.RestForOne.NoEvidence.Mailer,
      Golden.RestForOne.NoEvidence.Metrics
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.NoEvidence.Mailer do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, nil}
end

defmodule Golden.RestForOne.NoEvidence.Metrics do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, %{}}
end
