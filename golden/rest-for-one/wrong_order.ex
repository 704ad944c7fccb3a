defmodule Golden.RestForOne.WrongOrder do
  # The dependant comes first: :rest_for_one would not help, so nothing is reported.
  def start_link do
    children = [
      Golden.RestForOne.WrongOrder.Consumer,
      Golden.RestForOne.WrongOrder.Producer
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end

defmodule Golden.RestForOne.WrongOrder.Producer do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  @impl true
  def init(:ok), do: {:ok, nil}
end

defmodule Golden.RestForOne.WrongOrder.Consumer do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  @impl true
  def init(:ok), do: {:ok, GenServer.call(Golden.RestForOne.WrongOrder.Producer, :next)}
end
