defmodule Golden.RestForOne.NoEvidenceOption do
  def start_link do
    children = [
      Golden.RestForOne.NoEvidenceOption.Mailer,
      Golden.RestForOne.NoEvidenceOption.Metrics
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.NoEvidenceOption.Mailer do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, nil}
end

defmodule Golden.RestForOne.NoEvidenceOption.Metrics do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, %{}}
end
