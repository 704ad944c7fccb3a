defmodule Golden.RestForOne.SingleChild do
  use Supervisor

  def start_link(arg), do: Supervisor.start_link(__MODULE__, arg)

  @impl true
  def init(_arg) do
    children = [
      # just one
      {Golden.RestForOne.SingleChild.Worker, []}
    ]

    Supervisor.init(children, strategy: :one_for_one)
  end
end
